//! `ringgate check --config FILE`: validate and report, never serve.
//! Exit 0 with a one-line summary on stdout, or exit 1 with every error,
//! one per line as `path: message`, on stderr. With `--profile`, the
//! config is checked as started from that tuning profile.

use std::path::Path;
use std::process::ExitCode;

/// Run the check and return the process exit code.
pub fn run(path: &Path, profile: Option<&str>) -> anyhow::Result<ExitCode> {
    match ringgate_core::config::load_file_with_profile(path, profile) {
        Ok(config) => {
            let profile = match &config.server.profile {
                Some(name) => format!(", profile \"{name}\""),
                None => String::new(),
            };
            println!("{}: ok: {}{profile}", path.display(), config.summary());
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for error in &errors.0 {
                eprintln!("{}: {}", error.path, error.message);
            }
            eprintln!("{}: {} error(s)", path.display(), errors.0.len());
            Ok(ExitCode::FAILURE)
        }
    }
}
