//! Finding the programs a comparison runs: `ringgate` and `ringload` next
//! to this `ringbench` binary (all three come out of one `cargo build
//! --release`), `nginx` and `taskset` on PATH or in the sbin folders (Debian
//! puts nginx in `/usr/sbin`, which a non-root PATH may lack). Each can be
//! overridden; a missing one is a [`BenchError::Missing`] that says what to
//! install or build.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::BenchError;

/// Folders searched after PATH for system programs.
const SBIN: [&str; 4] = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin"];

const BUILD_HINT: &str = "cargo build --release first (or pass --ringgate/--ringload PATH)";

/// The programs, each an existing executable file.
#[derive(Debug, Clone)]
pub struct Tools {
    /// The gateway.
    pub ringgate: PathBuf,
    /// The load generator.
    pub ringload: PathBuf,
    /// nginx (origin and the reference proxy).
    pub nginx: PathBuf,
    /// util-linux `taskset`, which pins each child to its CPU.
    pub taskset: PathBuf,
    /// `nginx -v`, e.g. `nginx/1.22.1`.
    pub nginx_version: String,
}

impl Tools {
    /// Finds every program, or says which one is missing and how to get it.
    pub fn find(
        ringgate: Option<&Path>,
        ringload: Option<&Path>,
        nginx: Option<&Path>,
    ) -> Result<Tools, BenchError> {
        let nginx = locate(
            "nginx",
            nginx,
            system,
            "apt-get install -y nginx-light (or pass --nginx PATH)",
        )?;
        let taskset = locate("taskset", None, system, "apt-get install -y util-linux")?;
        let ringgate = locate("ringgate", ringgate, sibling, BUILD_HINT)?;
        let ringload = locate("ringload", ringload, sibling, BUILD_HINT)?;
        let nginx_version = version(&nginx);
        Ok(Tools {
            ringgate,
            ringload,
            nginx,
            taskset,
            nginx_version,
        })
    }
}

/// The override if given, else what `search` finds; either must be an
/// executable file. `search` fails with where it looked (` on PATH`).
fn locate(
    what: &'static str,
    given: Option<&Path>,
    search: fn(&str) -> Result<PathBuf, String>,
    hint: &'static str,
) -> Result<PathBuf, BenchError> {
    let found = match given {
        Some(p) if is_executable(p) => Ok(p.to_path_buf()),
        Some(p) => Err(format!(" at {}", p.display())),
        None => search(what),
    };
    found.map_err(|at| BenchError::Missing { what, at, hint })
}

/// `name` in the folder of the running executable.
fn sibling(name: &str) -> Result<PathBuf, String> {
    let dir = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let p = dir.join(name);
    if is_executable(&p) {
        Ok(p)
    } else {
        Err(format!(" next to ringbench in {}", dir.display()))
    }
}

/// `name` on PATH, then in the sbin folders.
fn system(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| " on PATH or in /usr/sbin".to_string())
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `nginx -v` prints `nginx version: nginx/1.22.1` on stderr.
fn version(nginx: &Path) -> String {
    Command::new(nginx)
        .arg("-v")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .and_then(|s| s.trim().rsplit(' ').next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_override_names_the_path_and_the_fix() {
        let e = Tools::find(None, None, Some(Path::new("/nonexistent/nginx"))).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("nginx not found at /nonexistent/nginx: "),
            "{text}"
        );
        assert!(text.contains("apt-get install -y nginx-light"), "{text}");
        assert_eq!(e.exit_code(), crate::error::EXIT_MISSING);
    }

    #[test]
    fn system_programs_are_found_on_path() {
        assert!(system("sh").is_ok());
        assert!(system("no-such-program-here").is_err());
    }
}
