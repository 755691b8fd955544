//! What the bridged rounds of one build add up to, and the summary printed from it.

use std::time::Duration;

/// The sums over one build's bridged rounds.
#[derive(Default)]
pub struct Tally {
    /// Each webhook's acknowledgement latency.
    pub lat: Vec<Duration>,
    /// The bridge's CPU time over the rounds, and until each round's last acknowledgement.
    pub cpu: Duration,
    pub cpu_acks: Duration,
    /// Synapse's CPU time over the same rounds.
    pub synapse: Duration,
    /// Messages per second into Synapse, per round.
    pub rates: Vec<f64>,
    /// Durable store commits, the writers they served, homeserver requests (from metrics).
    pub commits: f64,
    pub writers: f64,
    pub homeserver: f64,
    /// The highest peak RSS of the bridge processes of this build (MiB).
    pub peak_rss: f64,
    /// Bridged messages.
    pub messages: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

impl Tally {
    /// The p50 and p99 of a round's latencies (sorting them).
    pub fn round_percentiles(lat: &mut [Duration]) -> (f64, f64) {
        lat.sort();
        (ms(percentile(lat, 0.5)), ms(percentile(lat, 0.99)))
    }

    /// The summary lines; `prefix` names the build when two are compared ("" otherwise).
    /// `bare_rate` is the bare client's mean rate over the same rounds.
    pub fn print(&mut self, prefix: &str, bare_rate: f64) {
        self.lat.sort();
        let n = self.messages.max(1) as f64;
        let per = |d: Duration| ms(d) / n;
        println!(
            "{prefix}webhook ack latency over the bridged rounds: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
            ms(percentile(&self.lat, 0.5)),
            ms(percentile(&self.lat, 0.99)),
            ms(self.lat[self.lat.len() - 1])
        );
        println!(
            "{prefix}bridge CPU per bridged message: {:.2} ms (user + system); Synapse's: {:.1} ms, the bridge's {:.1} % of it",
            per(self.cpu),
            per(self.synapse),
            100.0 * self.cpu.as_secs_f64() / self.synapse.as_secs_f64().max(1e-9)
        );
        println!(
            "{prefix}of which until the last webhook was acknowledged: {:.2} ms (taking them in; the workers run meanwhile)",
            per(self.cpu_acks)
        );
        println!(
            "{prefix}bridged / bare client: {:.2} ({:.1} vs {:.1} msg/s)",
            mean(&self.rates) / bare_rate,
            mean(&self.rates),
            bare_rate
        );
        println!(
            "{prefix}durable store commits per bridged message: {:.2} (writers per commit {:.2})",
            self.commits / n,
            self.writers / self.commits.max(1.0)
        );
        println!(
            "{prefix}homeserver requests per bridged message: {:.2}",
            self.homeserver / n
        );
        println!("{prefix}bridge peak RSS: {:.1} MiB", self.peak_rss);
    }
}
