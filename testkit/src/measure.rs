//! What the benchmark binaries share: this process's memory, read from /proc, and their
//! log set-up.

/// One `/proc/self/status` field in MiB (`VmHWM` peak, `VmRSS` now, `RssAnon` heap and
/// stacks, `RssFile` mapped files); 0 where unavailable.
pub fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The peak resident memory of this process so far (MiB).
pub fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// The resident memory of this process now (MiB).
pub fn rss_mib() -> f64 {
    status_mib("VmRSS:")
}

/// Logs to stderr at `RUST_LOG` (default: warnings only, so the output is the numbers).
pub fn bench_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
}
