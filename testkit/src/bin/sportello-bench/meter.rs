//! What a round cost: Synapse's CPU time (the same work in both kinds of round, so the
//! yardstick of how fast the machine ran) and the share of the machine's time the hypervisor
//! stole, read from `/proc` around the round's timed part; with the bridge's CPU time, which
//! the caller reads over the whole round.

use std::time::Duration;

use sportello_testkit::measure::{machine_ticks, proc_cpu_time};

/// The readings at one moment.
pub struct Reading {
    synapse: Duration,
    ticks: Option<(u64, u64)>,
}

/// What was used between two readings.
pub struct Used {
    pub bridge: Duration,
    pub synapse: Duration,
    /// Percent of the machine's CPU time stolen, when the kernel counts it.
    pub steal: Option<f64>,
}

impl Reading {
    /// `synapse`: its process id, when it runs.
    pub fn now(synapse: Option<u32>) -> Reading {
        Reading {
            synapse: synapse.and_then(proc_cpu_time).unwrap_or_default(),
            ticks: machine_ticks(),
        }
    }

    /// What was used since `earlier`, with the bridge's CPU time over the round.
    pub fn since(&self, earlier: &Reading, bridge: Duration) -> Used {
        let steal = match (earlier.ticks, self.ticks) {
            (Some((s0, t0)), Some((s1, t1))) if t1 > t0 => {
                Some(100.0 * s1.saturating_sub(s0) as f64 / (t1 - t0) as f64)
            }
            _ => None,
        };
        Used {
            bridge,
            synapse: self.synapse.saturating_sub(earlier.synapse),
            steal,
        }
    }
}

impl Used {
    /// Per message, in ms: the bridge's CPU and Synapse's, and the steal, as a round's line
    /// ends them.
    pub fn line(&self, messages: usize) -> String {
        let per = |d: Duration| d.as_secs_f64() * 1e3 / messages.max(1) as f64;
        let steal = self
            .steal
            .map_or(String::new(), |s| format!(", steal {s:.0} %"));
        let share = 100.0 * self.bridge.as_secs_f64() / self.synapse.as_secs_f64().max(1e-9);
        format!(
            "bridge CPU {:.2} ms/message, Synapse CPU {:.1} ms/message (the bridge's {share:.1} % of it){steal}",
            per(self.bridge),
            per(self.synapse)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(synapse_ms: u64, ticks: Option<(u64, u64)>) -> Reading {
        Reading {
            synapse: Duration::from_millis(synapse_ms),
            ticks,
        }
    }

    #[test]
    fn a_round_is_what_each_process_used_in_between() {
        let before = reading(50_000, Some((10, 1_000)));
        let after = reading(58_000, Some((13, 1_200)));
        let used = after.since(&before, Duration::from_millis(240));
        assert_eq!(used.bridge, Duration::from_millis(240));
        assert_eq!(used.synapse, Duration::from_millis(8_000));
        assert_eq!(used.steal, Some(1.5));
        assert_eq!(
            used.line(400),
            "bridge CPU 0.60 ms/message, Synapse CPU 20.0 ms/message (the bridge's 3.0 % of it), steal 2 %"
        );
    }

    #[test]
    fn without_the_machines_figures_no_steal_is_claimed() {
        let bridge = Duration::from_millis(10);
        let used = reading(20, None).since(&reading(0, Some((0, 0))), bridge);
        assert_eq!(used.steal, None);
        assert!(!used.line(1).contains("steal"));
        let unchanged = reading(20, Some((5, 100))).since(&reading(0, Some((5, 100))), bridge);
        assert_eq!(unchanged.steal, None);
    }

    #[test]
    fn this_machine_counts_its_ticks() {
        let (steal, total) = machine_ticks().expect("/proc/stat on Linux");
        assert!(total > 0 && steal <= total);
    }
}
