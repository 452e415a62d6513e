//! The `ringgate` binary: parse the command line and hand over to the library.
//! All wiring lives in [`ringgate::server`]; this file stays thin on purpose.

use clap::Parser;
use ringgate::cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    ringgate::logging::init();
    let result = match cli.command {
        Some(Command::Check { config, profile }) => {
            ringgate::check::run(&config, profile.as_deref())
        }
        Some(Command::Tune { json }) => ringgate::tune::run(json),
        Some(Command::Demo(opts)) => ringgate::demo::run(&opts),
        Some(Command::HashKey { name }) => ringgate::auth::hash_key::run(&name),
        None => match cli.config {
            Some(path) => ringgate::server::run_file(
                &path,
                cli.profile.as_deref(),
                cli.upgrade,
                cli.watch_config,
            ),
            None => Err(anyhow::anyhow!(
                "no config given: use `ringgate --config FILE`, `ringgate demo` or `ringgate --help`"
            )),
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ringgate: {error:#}");
            ExitCode::FAILURE
        }
    }
}
