//! The `ringbench` binary: parse the command line and hand over to the
//! library ([`ringgate_bench::upstream`], [`ringgate_bench::compare`]); the
//! only thing decided here is the exit status.

use clap::Parser;
use ringgate_bench::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Upstream(args) => ringgate_bench::upstream::run(&args.into_config()),
        Command::Compare(args) => match ringgate_bench::compare::run(&args.into_config()) {
            Ok(summary) if summary.ok => Ok(()),
            Ok(summary) => {
                for failure in &summary.failures {
                    eprintln!("ringbench compare: FAIL: {failure}");
                }
                return ExitCode::FAILURE;
            }
            Err(error) => Err(error),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ringbench: {error:#}");
            ExitCode::from(error.exit_code())
        }
    }
}
