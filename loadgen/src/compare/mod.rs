//! `ringload compare BASE.json NEW.json [--max-regress 10%] [--plot out.svg]`.
//!
//! Reads two `--json` reports, prints a side-by-side table (whole-run values
//! and NEW/BASE ratios) and a verdict: a Mann–Whitney U test ([`mannwhitney`])
//! over the per-second `intervals` samples (throughput, and p99 latency)
//! says whether a difference is beyond run-to-run noise, and [`verdict`]
//! turns that and `--max-regress` into the exit status (1: regression).

pub mod mannwhitney;
pub mod plot;
pub mod table;
pub mod verdict;

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::report::json::JsonReport;
use mannwhitney::MannWhitney;
use verdict::{Check, Verdict, Worse};

/// Exit status for unreadable input or a bad command line.
pub const EXIT_INPUT: u8 = 2;

/// Intervals shorter than this (the last, partial second) are not samples.
pub const MIN_INTERVAL_S: f64 = 0.5;

/// Compare two `ringload --json` reports: a side-by-side table, a
/// Mann–Whitney U test over their per-second samples, and exit status 1 on
/// a significant regression beyond --max-regress.
#[derive(Debug, Parser)]
#[command(name = "ringload compare", version, long_about = None)]
pub struct CompareArgs {
    /// The baseline report (`ringload --json`).
    #[arg(value_name = "BASE.json")]
    pub base: PathBuf,
    /// The report to check against it.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Fail when req/s drops or p99 rises by more than this, significantly.
    #[arg(long, default_value = "10%", value_parser = verdict::parse_percent, value_name = "PERCENT")]
    pub max_regress: f64,
    /// Draw both latency-by-percentile curves into this SVG file.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
}

/// Why a comparison could not be made (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A report could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A report is not a ringload JSON report.
    #[error("{path} is not a ringload --json report: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The plot could not be written.
    #[error("--plot {path}: {source}")]
    Plot {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Reads one report.
pub fn load(path: &Path) -> Result<JsonReport, CompareError> {
    let text = std::fs::read_to_string(path).map_err(|source| CompareError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CompareError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// Per-second throughput samples (req/s of each full interval).
pub fn rps_samples(r: &JsonReport) -> Vec<f64> {
    r.intervals
        .iter()
        .filter(|i| i.duration_s >= MIN_INTERVAL_S)
        .map(|i| i.requests as f64 / i.duration_s)
        .collect()
}

/// Per-second p99 latency samples (µs) of the full intervals with responses.
pub fn p99_samples(r: &JsonReport) -> Vec<f64> {
    r.intervals
        .iter()
        .filter(|i| i.duration_s >= MIN_INTERVAL_S && i.requests > 0)
        .map(|i| i.p99_us as f64)
        .collect()
}

/// One side of a comparison: the whole-run values the ratios are taken of
/// and the per-second samples the tests work on. One report gives one
/// ([`Side::of`]); a caller with several runs per side (`ringbench
/// compare`) pools their samples and brings its own summary values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Side {
    /// Requests per second.
    pub rps: f64,
    /// Per-second throughput samples ([`rps_samples`]).
    pub rps_samples: Vec<f64>,
    /// p99 latency (µs).
    pub p99_us: f64,
    /// Per-second p99 samples ([`p99_samples`]).
    pub p99_samples: Vec<f64>,
}

impl Side {
    /// The side one report makes.
    pub fn of(r: &JsonReport) -> Side {
        Side {
            rps: r.rps,
            rps_samples: rps_samples(r),
            p99_us: r.latency_us.p99 as f64,
            p99_samples: p99_samples(r),
        }
    }
}

/// The verdict for two reports.
pub fn judge(base: &JsonReport, new: &JsonReport, max_regress: f64) -> Verdict {
    judge_sides(&Side::of(base), &Side::of(new), max_regress)
}

/// The verdict for two sides: NEW against BASE.
pub fn judge_sides(base: &Side, new: &Side, max_regress: f64) -> Verdict {
    let rps_test = MannWhitney::test(&base.rps_samples, &new.rps_samples);
    let p99_test = MannWhitney::test(&base.p99_samples, &new.p99_samples);
    Verdict {
        throughput: Check::new(base.rps, new.rps, rps_test, Worse::Lower, max_regress),
        p99: Check::new(
            base.p99_us,
            new.p99_us,
            p99_test,
            Worse::Higher,
            max_regress,
        ),
        max_regress,
    }
}

/// Runs the subcommand: prints the table and verdict, returns the exit status.
pub fn run(args: &CompareArgs) -> Result<u8, CompareError> {
    let base = load(&args.base)?;
    let new = load(&args.new)?;
    let v = judge(&base, &new, args.max_regress);
    print!("{}", table::render(&args.base, &base, &args.new, &new, &v));
    if let Some(path) = &args.plot {
        std::fs::write(path, plot::svg(&base, &new)).map_err(|source| CompareError::Plot {
            path: path.clone(),
            source,
        })?;
        println!("plot: {}", path.display());
    }
    println!("{}", v.line());
    Ok(v.exit_code())
}

/// Entry point from `main`: `args` are the words after `compare`.
pub fn main<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match CompareArgs::try_parse_from(
        std::iter::once(std::ffi::OsString::from("ringload compare"))
            .chain(args.into_iter().map(Into::into)),
    ) {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ringload compare: {e}");
            EXIT_INPUT
        }
    }
}

#[cfg(test)]
mod tests;
