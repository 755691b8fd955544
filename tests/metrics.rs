//! Metrics as an administrator's Prometheus sees them: the real Prometheus server (Debian's
//! `prometheus` package, which `.ci/run` installs) scrapes the bridge's own metrics listener,
//! and the values are read back through Prometheus's query API. The example alert rules of
//! the README are checked with `promtool`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use sportello_testkit::synapse::free_port;

use crate::harness::{Citizen, StackOptions, citizen_writes, eventually, stack_with};

/// Prometheus's binary, or why the test cannot run here. `.ci/run` installs it, and sets
/// `SPORTELLO_REQUIRE_PROMETHEUS` so a missing binary fails there instead of skipping.
fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("SPORTELLO_REQUIRE_PROMETHEUS").is_none(),
            "{name} is not installed (Debian: apt-get install prometheus)"
        );
        eprintln!("skipped: {name} is not installed (Debian: apt-get install prometheus)");
    }
    found
}

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prometheus {
    /// Starts Prometheus scraping `target` every second.
    async fn start(binary: &Path, target: &str) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: sportello\n    static_configs:\n      - targets: [\"{target}\"]\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        let http = reqwest::Client::new();
        eventually("Prometheus to be ready", || async {
            let r = http.get(format!("{}/-/ready", p.url)).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
        p
    }

    /// The samples of an instant query: (labels, value).
    async fn query(&self, q: &str) -> Vec<(Value, f64)> {
        let r: Value = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/query?query={}",
                self.url,
                percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["status"], "success", "{q}: {r}");
        r["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let v = s["value"][1].as_str().unwrap().parse().unwrap();
                (s["metric"].clone(), v)
            })
            .collect()
    }

    /// Waits until `q` has a sample equal to `want`.
    async fn until(&self, q: &str, want: f64) {
        eventually(&format!("{q} == {want} in Prometheus"), || async {
            self.query(q)
                .await
                .iter()
                .any(|(_, v)| *v == want)
                .then_some(())
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_bridge_and_sees_what_happened() {
    let Some(binary) = tool("prometheus") else {
        return;
    };
    let port = free_port();
    let stack = stack_with(StackOptions {
        extra_toml: format!("[metrics]\nbind = \"127.0.0.1:{port}\"\n"),
        ..Default::default()
    })
    .await;
    // The metrics are on their own listener, not where Meta and Synapse call.
    let main = reqwest::get(format!("{}/metrics", stack.bridge_url()))
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
    let prometheus = Prometheus::start(&binary, &format!("127.0.0.1:{port}")).await;
    prometheus.until("up{job=\"sportello\"}", 1.0).await;

    // A citizen writes and staff answer; a forged webhook is refused.
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "Buongiorno, è aperto l'ufficio? 🙏").await;
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "**È** aperto fino alle 13"}),
        )
        .await;
    let forged = br#"{"object":"whatsapp_business_account","entry":[]}"#.to_vec();
    assert_eq!(
        stack.sim.post_raw(forged, Some("sha256=00".into())).await,
        401
    );

    prometheus
        .until(
            "sportello_messages_bridged_total{direction=\"to_matrix\",kind=\"text\"}",
            1.0,
        )
        .await;
    prometheus
        .until(
            "sportello_messages_bridged_total{direction=\"to_whatsapp\",kind=\"text\"}",
            1.0,
        )
        .await;
    prometheus
        .until(
            "sportello_webhooks_refused_total{source=\"whatsapp\",reason=\"signature\"}",
            1.0,
        )
        .await;
    prometheus
        .until("sportello_subscriptions{list=\"eventi\"}", 0.0)
        .await;
    prometheus.until("sportello_dead_letters", 0.0).await;
    prometheus.until("sportello_queued_items", 0.0).await;
    for q in [
        "sportello_webhooks_received_total{source=\"whatsapp\"}",
        "sportello_webhooks_received_total{source=\"matrix\"}",
        "sportello_webhook_ack_seconds_count{source=\"whatsapp\"}",
        "sportello_graph_requests_total{result=\"ok\"}",
        "sportello_graph_request_seconds_count",
        "sportello_homeserver_requests_total{result=\"ok\"}",
        "sportello_homeserver_request_seconds_count",
    ] {
        let samples = prometheus.query(q).await;
        assert!(samples.iter().any(|(_, v)| *v >= 1.0), "{q}: {samples:?}");
    }
    for q in [
        "sportello_oldest_queued_item_seconds",
        "sportello_queues_waiting",
        "sportello_held_answers",
        "sportello_broadcast_rate",
    ] {
        assert_eq!(prometheus.query(q).await.len(), 1, "{q} is exported");
    }
    // Nothing personal in any series: no number, no name, no id.
    let all = prometheus.query("{__name__=~\"sportello_.*\"}").await;
    assert!(all.len() > 20, "{}", all.len());
    let labels = json!(all.iter().map(|(l, _)| l).collect::<Vec<_>>()).to_string();
    for private in ["3331234567", "Anna", "wamid", "!", "@"] {
        assert!(!labels.contains(private), "{private} in {labels}");
    }
}

/// The README's example alert rules are valid Prometheus rules.
#[test]
fn the_example_alert_rules_pass_promtool() {
    let Some(promtool) = tool("promtool") else {
        return;
    };
    let rules =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus/sportello-rules.yml");
    let out = Command::new(promtool)
        .arg("check")
        .arg("rules")
        .arg(&rules)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("SUCCESS: 3 rules found"), "{said}");
}
