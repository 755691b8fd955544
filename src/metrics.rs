//! Prometheus metrics, with the Prometheus project's own client (`prometheus-client`): what an
//! administrator graphs and alerts on. Labels are closed sets (a source, a result, a Graph
//! error code, a message kind, a news list): never a number, a name or an id.
//!
//! One [`Metrics`] is shared by the HTTP edge, the clients and the features; the gauges that
//! describe the store (queues, dead letters, held answers, subscriptions) are set just before
//! each scrape ([`Metrics::encode`] is called after them).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    /// `whatsapp` (Meta's webhooks) or `matrix` (Synapse's transactions).
    pub source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusedLabels {
    pub source: &'static str,
    /// `signature`, `token`, `store`.
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BridgedLabels {
    /// `to_matrix` (a citizen's message), `to_whatsapp` (staff's) or `from_app` (the office's,
    /// sent from the WhatsApp Business app: coexistence).
    pub direction: &'static str,
    /// The WhatsApp kind (`text`, `image`, …).
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// `ok`, `error`, `unreachable`, `timeout`.
    pub result: &'static str,
    /// Meta's error code, or the homeserver's errcode; empty when it worked.
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListLabel {
    /// A news list of the config.
    pub list: String,
}

/// Every metric the bridge exports.
pub struct Metrics {
    registry: Registry,
    pub webhooks_received: Family<SourceLabel, Counter>,
    pub webhooks_refused: Family<RefusedLabels, Counter>,
    pub webhook_ack_seconds: Family<SourceLabel, Histogram>,
    pub bridged: Family<BridgedLabels, Counter>,
    pub graph_requests: Family<ResultLabels, Counter>,
    pub graph_seconds: Histogram,
    pub homeserver_requests: Family<ResultLabels, Counter>,
    pub homeserver_seconds: Histogram,
    pub queued_items: Gauge,
    pub queues_waiting: Gauge,
    pub oldest_queued_seconds: Gauge,
    pub dead_letters: Gauge,
    pub held_answers: Gauge,
    pub auto_replies: Family<KindLabel, Counter>,
    pub broadcast_sends: Family<KindLabel, Counter>,
    pub broadcast_rate: Gauge<f64, AtomicU64>,
    pub subscriptions: Family<ListLabel, Gauge>,
    pub store_commits: Counter,
    pub store_commit_writers: Counter,
}

fn latency() -> Histogram {
    // 1 ms … about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("sportello"),
            webhooks_received: Family::default(),
            webhooks_refused: Family::default(),
            webhook_ack_seconds: Family::new_with_constructor(latency),
            bridged: Family::default(),
            graph_requests: Family::default(),
            graph_seconds: latency(),
            homeserver_requests: Family::default(),
            homeserver_seconds: latency(),
            queued_items: Gauge::default(),
            queues_waiting: Gauge::default(),
            oldest_queued_seconds: Gauge::default(),
            dead_letters: Gauge::default(),
            held_answers: Gauge::default(),
            auto_replies: Family::default(),
            broadcast_sends: Family::default(),
            broadcast_rate: Gauge::default(),
            subscriptions: Family::default(),
            store_commits: Counter::default(),
            store_commit_writers: Counter::default(),
        };
        m.register();
        m
    }

    fn register(&mut self) {
        self.register_traffic();
        self.register_state();
    }

    /// What goes through: deliveries, messages, requests to Meta and to the homeserver.
    fn register_traffic(&mut self) {
        let r = &mut self.registry;
        r.register(
            "webhooks_received",
            "Deliveries received (Meta's webhooks, Synapse's transactions), before any check",
            self.webhooks_received.clone(),
        );
        r.register(
            "webhooks_refused",
            "Deliveries refused, by reason (bad signature or token, store unable to write)",
            self.webhooks_refused.clone(),
        );
        r.register(
            "webhook_ack_seconds",
            "From a delivery's arrival to its answer (checked and persisted)",
            self.webhook_ack_seconds.clone(),
        );
        r.register(
            "messages_bridged",
            "Messages bridged, by direction and WhatsApp kind",
            self.bridged.clone(),
        );
        r.register(
            "graph_requests",
            "Graph API requests, by result and Meta's error code",
            self.graph_requests.clone(),
        );
        r.register(
            "graph_request_seconds",
            "Graph API request latency",
            self.graph_seconds.clone(),
        );
        r.register(
            "homeserver_requests",
            "Homeserver requests, by result and errcode",
            self.homeserver_requests.clone(),
        );
        r.register(
            "homeserver_request_seconds",
            "Homeserver request latency",
            self.homeserver_seconds.clone(),
        );
    }

    /// What the bridge holds and does by itself: queues, dead letters, held answers,
    /// automatic replies, broadcasts, subscriptions.
    fn register_state(&mut self) {
        let r = &mut self.registry;
        r.register(
            "queued_items",
            "Items waiting in the queues (citizens' and the admin room's)",
            self.queued_items.clone(),
        );
        r.register(
            "queues_waiting",
            "Queues with waiting work",
            self.queues_waiting.clone(),
        );
        r.register(
            "oldest_queued_item_seconds",
            "Age of the oldest item at the head of a queue (the stall signal)",
            self.oldest_queued_seconds.clone(),
        );
        r.register(
            "dead_letters",
            "Dead letters kept",
            self.dead_letters.clone(),
        );
        r.register(
            "held_answers",
            "Staff answers held for a closed 24-hour window",
            self.held_answers.clone(),
        );
        r.register(
            "auto_replies",
            "Automatic replies sent, by kind",
            self.auto_replies.clone(),
        );
        r.register(
            "broadcast_sends",
            "Broadcast recipients by outcome: sent, failed, uncertain",
            self.broadcast_sends.clone(),
        );
        r.register(
            "broadcast_rate",
            "A running broadcast's current send rate (messages per second)",
            self.broadcast_rate.clone(),
        );
        r.register(
            "subscriptions",
            "Subscribers, by news list",
            self.subscriptions.clone(),
        );
        r.register(
            "store_commits",
            "Durable store commits (one fsync each)",
            self.store_commits.clone(),
        );
        r.register(
            "store_commit_writers",
            "Writers served by those commits (concurrent writers share one: group commit)",
            self.store_commit_writers.clone(),
        );
    }

    /// Brings a counter kept elsewhere (a running total) up to `total`.
    pub fn catch_up(counter: &Counter, total: u64) {
        counter.inc_by(total.saturating_sub(counter.get()));
    }

    /// The text exposition format Prometheus scrapes.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// A Graph API request's outcome: `code` is Meta's error code when it answered one.
    pub fn graph(&self, result: &'static str, code: Option<i64>, took: Duration) {
        self.graph_requests
            .get_or_create(&ResultLabels {
                result,
                code: code.map(|c| c.to_string()).unwrap_or_default(),
            })
            .inc();
        self.graph_seconds.observe(took.as_secs_f64());
    }

    /// A homeserver request's outcome.
    pub fn homeserver(&self, result: &'static str, errcode: &str, took: Duration) {
        self.homeserver_requests
            .get_or_create(&ResultLabels {
                result,
                code: errcode.to_owned(),
            })
            .inc();
        self.homeserver_seconds.observe(took.as_secs_f64());
    }

    /// One message bridged.
    pub fn bridged(&self, direction: &'static str, kind: &str) {
        self.bridged
            .get_or_create(&BridgedLabels {
                direction,
                kind: kind.to_owned(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exposition names every metric with the prefix and carries no personal label.
    #[test]
    fn the_exposition_has_the_documented_names() {
        let m = Metrics::new();
        m.webhooks_received
            .get_or_create(&SourceLabel { source: "whatsapp" })
            .inc();
        m.graph("error", Some(131047), Duration::from_millis(12));
        m.bridged("to_matrix", "text");
        Metrics::catch_up(&m.store_commits, 5);
        Metrics::catch_up(&m.store_commits, 7);
        Metrics::catch_up(&m.store_commits, 7);
        let text = m.encode();
        for name in [
            "sportello_webhooks_received_total{source=\"whatsapp\"} 1",
            "sportello_graph_requests_total{result=\"error\",code=\"131047\"} 1",
            "sportello_messages_bridged_total{direction=\"to_matrix\",kind=\"text\"} 1",
            "# TYPE sportello_oldest_queued_item_seconds gauge",
            "sportello_graph_request_seconds_count 1",
            "sportello_store_commits_total 7",
        ] {
            assert!(text.contains(name), "{name} missing:\n{text}");
        }
    }
}
