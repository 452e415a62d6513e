//! The `ringload` binary: parse, run, report. See the crate docs.
//!
//! The first Ctrl-C (SIGINT) or SIGTERM ends the run early and still
//! prints and writes every report; a second one exits at once (128 + the
//! signal number, 130 for Ctrl-C).

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use ringload::cli::Args;
use ringload::plan::Plan;
use ringload::report::{hgrm, hlog::HlogSink, json::JsonReport, text};
use ringload::run;

fn main() -> ExitCode {
    // `ringload compare ...` is a subcommand; anything else is a load run.
    let mut argv = std::env::args_os().skip(1).peekable();
    if argv.peek().is_some_and(|a| a == "compare") {
        return ExitCode::from(ringload::compare::main(argv.skip(1)));
    }
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringload: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stop = stop_on_signals().context("installing the Ctrl-C handler")?;
    let plan = Plan::from_args(&args)?;
    let mut hlog = match &args.hlog {
        Some(p) => Some(HlogSink::create(p).with_context(|| format!("--hlog {}", p.display()))?),
        None => None,
    };
    let summary = match hlog.as_mut() {
        Some(sink) => run::run(plan, !args.quiet, sink, &stop)?,
        None => run::run(plan, !args.quiet, &mut (), &stop)?,
    };
    print!("{}", text::render(&summary));
    if let Some(sink) = hlog {
        sink.finish().map_err(|e| anyhow::anyhow!("--hlog: {e}"))?;
    }
    if let Some(p) = &args.json {
        std::fs::write(p, JsonReport::new(&summary).to_string_pretty() + "\n")
            .with_context(|| format!("--json {}", p.display()))?;
    }
    if let Some(p) = &args.hgrm {
        std::fs::write(p, hgrm::render(&summary.stats.latency))
            .with_context(|| format!("--hgrm {}", p.display()))?;
    }
    Ok(())
}

/// A flag the first SIGINT or SIGTERM sets; a second signal while it is set
/// exits the process at once.
fn stop_on_signals() -> std::io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so the first signal only sets the flag.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, stop.clone())?;
        signal_hook::flag::register(signal, stop.clone())?;
    }
    Ok(stop)
}
