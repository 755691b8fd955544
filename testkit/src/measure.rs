//! What the benchmark binaries share: this process's memory, read from /proc, their log
//! set-up, and reading Synapse's JSON.

/// One `/proc/self/status` field in MiB (`VmHWM` peak, `VmRSS` now, `RssAnon` heap and
/// stacks, `RssFile` mapped files); 0 where unavailable.
pub fn status_mib(field: &str) -> f64 {
    proc_status_mib("/proc/self/status", field)
}

/// One field of a process's `status` file (`/proc/<pid>/status`) in MiB; 0 where unavailable.
pub fn proc_status_mib(path: &str, field: &str) -> f64 {
    std::fs::read_to_string(path)
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

/// A process's CPU time so far, user + system (`/proc/<pid>/stat` fields 14 and 15, in clock
/// ticks of 1/100 s, as on every Linux this runs on).
pub fn proc_cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// The machine's CPU time stolen by the hypervisor and its total, in clock ticks since boot
/// (`/proc/stat`'s first line: the eighth figure, and the sum of the first eight — the two
/// after them, guests' time, are already counted in the first two).
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let figures: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    Some((*figures.get(7)?, figures.iter().take(8).sum()))
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

/// GETs `url` with `token` and reads the JSON answer (the benchmarks' reads of Synapse).
pub async fn get_json(
    http: &reqwest::Client,
    url: impl reqwest::IntoUrl,
    token: &str,
) -> anyhow::Result<serde_json::Value> {
    Ok(http
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?)
}

/// The numbers among a benchmark's arguments, in order (its sizes; flags are skipped).
pub fn numeric_args() -> Vec<usize> {
    std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect()
}
