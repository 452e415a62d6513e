//! The children of a comparison and how they end.
//!
//! Each child (origin, proxies, every ringload run) is started in a process
//! group of its own, under `taskset -c CPU` (which execs, so the pid is the
//! program's), with stdout and stderr in a log file. A [`Child`] is a guard:
//! dropping it sends SIGTERM to the whole group (nginx's master takes its
//! worker down, ringgate drains), waits a little, then SIGKILLs whatever is
//! left of the group, so neither an error, a panic nor Ctrl-C leaves a
//! stray process behind. Own groups also keep a terminal's Ctrl-C away from
//! the children: [`Interrupt`] catches SIGINT and SIGTERM for `ringbench`,
//! every wait polls it, and the guards do the rest on the way out.
//!
//! [`probe`] is the readiness check: a real `GET /` that must come back 200.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cpu;
use crate::BenchError;

/// How often waits look at the child and at [`Interrupt`].
const POLL: Duration = Duration::from_millis(20);
/// How long a server may take to answer its first request.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// [`READY_TIMEOUT`], or `$RINGBENCH_READY_TIMEOUT` seconds (an emulated
/// VM starts nginx much more slowly).
fn ready_timeout() -> Duration {
    std::env::var("RINGBENCH_READY_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(READY_TIMEOUT, Duration::from_secs)
}
/// How long a child may take to exit after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Lines of a log quoted in an error.
const TAIL_LINES: usize = 20;

/// Set when SIGINT or SIGTERM arrives.
#[derive(Debug, Clone)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on.
    pub fn install() -> Result<Interrupt, BenchError> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&flag)).map_err(BenchError::Signals)?;
        }
        Ok(Interrupt(flag))
    }

    /// `Err(Interrupted)` once a signal has arrived.
    pub fn check(&self) -> Result<(), BenchError> {
        if self.0.load(Ordering::Relaxed) {
            Err(BenchError::Interrupted)
        } else {
            Ok(())
        }
    }
}

/// A running child in its own process group; stopped on drop.
#[derive(Debug)]
pub struct Child {
    name: String,
    child: std::process::Child,
    log: PathBuf,
}

impl Child {
    /// Starts `program args` pinned to `cpu` with `taskset`, output to `log`.
    pub fn spawn(
        name: &str,
        taskset: &Path,
        cpu: usize,
        program: &Path,
        args: &[String],
        log: &Path,
    ) -> Result<Child, BenchError> {
        let file = |log: &Path| {
            File::create(log).map_err(|source| BenchError::File {
                path: log.to_path_buf(),
                source,
            })
        };
        let out = file(log)?;
        let err = out.try_clone().map_err(|source| BenchError::File {
            path: log.to_path_buf(),
            source,
        })?;
        let child = Command::new(taskset)
            .arg("-c")
            .arg(cpu.to_string())
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|source| BenchError::Spawn {
                name: name.to_string(),
                source,
            })?;
        Ok(Child {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        })
    }

    /// Its pid, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its role.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its exit status if it has exited.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// `Err(Exited)` if it is no longer running.
    pub fn check_running(&mut self) -> Result<(), BenchError> {
        match self.exited() {
            None => Ok(()),
            Some(status) => Err(self.exited_error(status)),
        }
    }

    fn exited_error(&self, status: ExitStatus) -> BenchError {
        BenchError::Exited {
            name: self.name.clone(),
            status,
            log: self.log.clone(),
            tail: tail(&self.log),
        }
    }

    /// Waits until `GET /` on `addr` answers 200, at most [`READY_TIMEOUT`].
    pub fn wait_ready(&mut self, addr: SocketAddr, stop: &Interrupt) -> Result<(), BenchError> {
        self.wait_ready_with(addr, stop, probe)
    }

    /// [`wait_ready`](Self::wait_ready) with another readiness check (https).
    pub fn wait_ready_with(
        &mut self,
        addr: SocketAddr,
        stop: &Interrupt,
        probe: impl Fn(SocketAddr) -> bool,
    ) -> Result<(), BenchError> {
        let timeout = ready_timeout();
        let deadline = Instant::now() + timeout;
        loop {
            stop.check()?;
            self.check_running()?;
            if probe(addr) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(BenchError::NotReady {
                    name: self.name.clone(),
                    addr,
                    secs: timeout.as_secs(),
                    log: self.log.clone(),
                    tail: tail(&self.log),
                });
            }
            std::thread::sleep(POLL * 5);
        }
    }

    /// Waits for it to exit on its own within `limit`; a non-zero exit is an
    /// error, and so is running past the limit (it is then killed).
    pub fn wait_exit(&mut self, limit: Duration, stop: &Interrupt) -> Result<(), BenchError> {
        let deadline = Instant::now() + limit;
        loop {
            stop.check()?;
            match self.exited() {
                Some(status) if status.success() => return Ok(()),
                Some(status) => return Err(self.exited_error(status)),
                None if Instant::now() >= deadline => {
                    return Err(BenchError::RunTimeout {
                        run: self.name.clone(),
                        secs: limit.as_secs(),
                    })
                }
                None => std::thread::sleep(POLL),
            }
        }
    }

    /// SIGTERM to the group, a bounded wait, then SIGKILL to what is left.
    fn stop(&mut self) {
        let group = self.pid();
        if self.exited().is_none() {
            signal_group(group, "TERM");
            let deadline = Instant::now() + STOP_TIMEOUT;
            while self.exited().is_none() && Instant::now() < deadline {
                std::thread::sleep(POLL);
            }
            if self.exited().is_none() {
                signal_group(group, "KILL");
                let _ = self.child.wait();
            }
        }
        // A leader gone before its group (an nginx worker whose master was
        // killed) leaves members behind: they go too.
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !cpu::group_members(group).is_empty() && Instant::now() < deadline {
            signal_group(group, "KILL");
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `kill -SIG -- -PGID` (the `kill` program: this crate has no unsafe code
/// to call kill(2) itself). Failures (the group is gone) are ignored.
fn signal_group(pgid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// One `GET /` with `Connection: close`; true when the status is 200.
pub fn probe(addr: SocketAddr) -> bool {
    let timeout = Duration::from_millis(500);
    let Ok(mut s) = TcpStream::connect_timeout(&addr, timeout) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    let req = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok()
        && (&head[..] == b"HTTP/1.1 200" || &head[..] == b"HTTP/1.0 200")
}

/// The last [`TAIL_LINES`] lines of a log file.
pub fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_child_takes_its_group_with_it() {
        let dir = std::env::temp_dir().join(format!("ringbench-proc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("sh.log");
        // The shell ends on SIGTERM, its child ignores it and would be left
        // behind without the SIGKILL to the group.
        let child = Child::spawn(
            "sh",
            Path::new("taskset"),
            0,
            Path::new("sh"),
            &[
                "-c".into(),
                "(trap '' TERM; exec sleep 30) & echo started; wait".into(),
            ],
            &log,
        )
        .expect("spawn");
        let group = child.pid();
        let up = Instant::now() + Duration::from_secs(5);
        while !tail(&log).contains("started") && Instant::now() < up {
            std::thread::sleep(POLL);
        }
        assert_eq!(cpu::group_members(group).len(), 2, "sh and sleep");
        drop(child);
        assert!(cpu::group_members(group).is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn probe_needs_a_200() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || {
            for reply in [
                &b"HTTP/1.1 503 Busy\r\n\r\n"[..],
                b"HTTP/1.1 200 OK\r\n\r\n",
            ] {
                let (mut c, _) = l.accept().unwrap();
                let mut buf = [0u8; 256];
                let _ = c.read(&mut buf);
                c.write_all(reply).unwrap();
            }
        });
        assert!(!probe(addr));
        assert!(probe(addr));
        t.join().unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(!probe(closed));
    }
}
