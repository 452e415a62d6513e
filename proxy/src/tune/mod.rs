//! `ringgate tune`: inspect the host and recommend a tuning profile.
//!
//! [`host`] reads the facts (CPUs, affinity, NUMA, memory, kTLS, limits,
//! sysctls), [`probe`] asks the kernel what io_uring setup flags, opcodes
//! and accept steering really work, [`advice`] turns both into a profile,
//! settings with reasons and lines to paste, and [`report`] prints them as
//! text or, with `--json`, one JSON document.

pub mod advice;
pub mod host;
pub mod probe;
pub mod report;

use std::io::Write;
use std::process::ExitCode;

/// Run `ringgate tune`.
pub fn run(json: bool) -> anyhow::Result<ExitCode> {
    let host = host::Host::inspect();
    let flags = probe::setup_flags();
    let opcodes = probe::opcodes();
    let steering = probe::cpu_steering();
    let advice = advice::advise(
        &host,
        &advice::Probes {
            flags: &flags,
            steering: &steering,
        },
    );
    let facts = report::Facts {
        host: &host,
        flags: &flags,
        opcodes: &opcodes,
        steering: &steering,
        advice: &advice,
    };
    let text = if json {
        serde_json::to_string_pretty(&report::json(&facts))? + "\n"
    } else {
        report::text(&facts)
    };
    // `ringgate tune | head` closes the pipe early: not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
