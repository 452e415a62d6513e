//! The `ringbench` binary: parse the command line and hand over to the
//! library; all wiring lives in [`ringgate_bench::upstream`].

use clap::Parser;
use ringgate_bench::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Upstream(args) => ringgate_bench::upstream::run(&args.into_config()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ringbench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
