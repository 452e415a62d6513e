//! `--hlog`: an HdrHistogram interval log, one V2-deflate histogram per second.
//!
//! Values are microseconds (`Interval_Max` too). Timestamps are seconds since the end of
//! the warm-up, which is also the log's `StartTime`/`BaseTime`. Java's
//! `HistogramLogProcessor` and the Rust crate's `IntervalLogIterator` read it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::Histogram;

use crate::report::IntervalSample;
use crate::run::IntervalSink;

/// Writes intervals to a file as they complete.
pub struct HlogSink {
    file: BufWriter<File>,
    serializer: V2DeflateSerializer,
    started: bool,
    error: Option<String>,
}

impl HlogSink {
    /// Create (truncate) the log file.
    pub fn create(path: &Path) -> std::io::Result<HlogSink> {
        Ok(HlogSink {
            file: BufWriter::new(File::create(path)?),
            serializer: V2DeflateSerializer::new(),
            started: false,
            error: None,
        })
    }

    /// Flush; report the first error that happened while writing.
    pub fn finish(mut self) -> Result<(), String> {
        if !self.started {
            self.header(SystemTime::now());
        }
        if let Err(e) = self.file.flush() {
            self.error.get_or_insert(e.to_string());
        }
        self.error.map_or(Ok(()), Err)
    }

    fn header(&mut self, base: SystemTime) {
        self.started = true;
        let res = IntervalLogWriterBuilder::new()
            .add_comment(&format!(
                "[Logged with ringload {}; values in microseconds]",
                env!("CARGO_PKG_VERSION")
            ))
            .with_start_time(base)
            .with_base_time(base)
            .begin_log_with(&mut self.file, &mut self.serializer)
            .map(|_| ())
            .and_then(|_| {
                self.file.write_all(
                    b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
                )
            });
        if let Err(e) = res {
            self.error.get_or_insert(e.to_string());
        }
    }
}

impl IntervalSink for HlogSink {
    fn interval(&mut self, sample: &IntervalSample, start: Duration, latency: &Histogram<u64>) {
        if !self.started {
            let since = start + Duration::from_secs_f64(sample.duration_s);
            let base = SystemTime::now()
                .checked_sub(since)
                .unwrap_or(SystemTime::UNIX_EPOCH);
            self.header(base);
        }
        let duration = Duration::from_secs_f64(sample.duration_s);
        // A header-less builder per interval: it writes just the interval line.
        let res = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut self.file, &mut self.serializer)
            .map_err(|e| e.to_string())
            .and_then(|mut w| {
                w.write_histogram(latency, start, duration, None)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = res {
            self.error.get_or_insert(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn log_reads_back() {
        let dir = std::env::temp_dir().join(format!("ringload-hlog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.hlog");
        let mut sink = HlogSink::create(&path).unwrap();
        for i in 0..3u64 {
            let mut h = crate::stats::histogram();
            h.record(100 * (i + 1)).unwrap();
            let sample = IntervalSample {
                t_s: (i + 1) as f64,
                duration_s: 1.0,
                requests: 1,
                errors: 0,
                rps: 1.0,
                p50_us: 0,
                p90_us: 0,
                p99_us: 0,
                max_us: 0,
            };
            sink.interval(&sample, Duration::from_secs(i), &h);
        }
        sink.finish().unwrap();
        let data = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&data);
        assert!(text.contains("#[StartTime: "), "{text}");
        assert!(text.contains("\"StartTimestamp\""), "{text}");
        let mut starts = Vec::new();
        for e in IntervalLogIterator::new(&data) {
            if let LogEntry::Interval(ih) = e.unwrap() {
                starts.push(ih.start_timestamp().as_secs());
                assert_eq!(ih.duration(), Duration::from_secs(1));
            }
        }
        assert_eq!(starts, vec![0, 1, 2]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
