//! Benchmark: one broadcast to many subscribers against the simulator limited to Meta's
//! upper throughput tier, with a real Synapse for the admin room.
//!
//!     cargo run --release -p sportello-testkit --bin sportello-broadcast-bench -- [SUBSCRIBERS] [MPS] [statuses]
//!
//! Defaults: 100000 subscribers, 1000 messages per second (the simulator answers 130429
//! above it), no status webhooks (`statuses` makes the simulator send sent/delivered/read
//! for every message, as Meta does). A third of the subscribers are inside the 24-hour
//! window (free-form text), the rest get the template. Subscribers are written into the
//! store while the bridge is stopped. Reports the time to draft (the preview streams the
//! audience), the send rate measured on the simulator's clock, the peak in any one second,
//! 130429 answers, and the bridge's own CPU time per sent message and peak memory (it runs as
//! its own process: the benchmark re-runs itself as `serve CONFIG`), then this process's peak
//! (simulator keeping only the time and status of each send, admin client).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use sportello::ids::CitizenKey;
use sportello::store::{PortalRecord, Store, Subscription, now_secs};
use sportello_testkit::child::BridgeChild;
use sportello_testkit::measure::peak_rss_mib;
use sportello_testkit::{Stack, StackOptions};

struct Admin {
    http: reqwest::Client,
    hs: String,
    token: String,
    room: String,
    txn: u64,
}

impl Admin {
    async fn join(stack: &Stack) -> anyhow::Result<Admin> {
        let http = reqwest::Client::new();
        let hs = stack.synapse.url.as_str();
        let token = stack.synapse.login("anna", "anna").await?;
        let alias = "%23whatsapp_admin%3Acomune.test";
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r: Value = http
                .post(format!("{hs}/_matrix/client/v3/join/{alias}"))
                .bearer_auth(&token)
                .json(&json!({}))
                .send()
                .await?
                .json()
                .await?;
            if let Some(room) = r["room_id"].as_str() {
                return Ok(Admin {
                    http,
                    hs: hs.to_owned(),
                    token,
                    room: room.to_owned(),
                    txn: 0,
                });
            }
            anyhow::ensure!(Instant::now() < deadline, "cannot join the admin room: {r}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn say(&mut self, body: &str) -> anyhow::Result<()> {
        self.txn += 1;
        let url = format!(
            "{}/_matrix/client/v3/rooms/{}/send/m.room.message/bench{}",
            self.hs, self.room, self.txn
        );
        self.http
            .put(url)
            .bearer_auth(&self.token)
            .json(&json!({"msgtype": "m.text", "body": body}))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// Waits for a bot message (or edit) whose text starts with `prefix` and contains `part`.
    async fn wait_for(&self, prefix: &str, part: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + Duration::from_secs(3600);
        loop {
            let url = format!(
                "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=50",
                self.hs, self.room
            );
            let v = sportello_testkit::measure::get_json(&self.http, url, &self.token).await?;
            for e in v["chunk"].as_array().into_iter().flatten() {
                let c = &e["content"];
                let body = c["m.new_content"]["body"].as_str().or(c["body"].as_str());
                if let Some(b) = body.filter(|b| b.starts_with(prefix) && b.contains(part)) {
                    return Ok(b.to_owned());
                }
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no \"{prefix}\" in the admin room"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

fn peak_per_second(mut t: Vec<SystemTime>) -> usize {
    t.sort();
    let (mut best, mut start) = (0, 0);
    for end in 0..t.len() {
        while t[end].duration_since(t[start]).unwrap_or_default() >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

fn main() -> anyhow::Result<()> {
    if let Some(served) = sportello_testkit::child::serve_if_asked() {
        return served;
    }
    sportello_testkit::measure::bench_logs();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mps: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let statuses = args.iter().any(|a| a == "statuses");
    let mut stack = Stack::start(StackOptions {
        extra_toml: format!(
            "[templates.notizie]\nname = \"notizie_comune\"\nlanguage = \"it\"\nparams = 1\n\n\
             [broadcast]\nmessages_per_second = {mps}\ntemplate = \"notizie\"\nprogress_every_secs = 3\n"
        ),
        ..Default::default()
    })
    .await?;
    let sim = stack.sim.clone();
    sim.set_throughput(Some(mps));
    sim.set_light_recording(true);
    sim.set_auto_statuses(statuses);

    eprintln!("seeding {n} subscribers");
    stack.stop_bridge().await;
    {
        let store = Store::open(&stack.config.raw.store.path)?;
        for start in (0..n).step_by(5000) {
            let mut ops = Vec::new();
            for i in start..(start + 5000).min(n) {
                let number = format!("39321{i:07}");
                let key = format!("p:{number}");
                let sub = Subscription {
                    topics: vec!["eventi".into()],
                    ..Default::default()
                };
                ops.extend(Store::subscription_ops(&key, None, &sub));
                // Everyone has a portal (an office that has talked to all its subscribers);
                // a third wrote within the last 24 hours.
                let ghost = format!("@whatsapp_{number}:comune.test");
                let inside = i % 3 == 0;
                ops.extend(Store::portal_ops(&PortalRecord {
                    phone: Some(number),
                    last_inbound_at: Some(now_secs() as i64 - if inside { 600 } else { 200_000 }),
                    ..PortalRecord::new(
                        &CitizenKey::parse(&key).expect("a citizen key"),
                        &format!("!bench{i}:comune.test"),
                        &ghost,
                    )
                }));
            }
            store.commit(ops)?;
        }
    }
    let bridge = BridgeChild::replace(&mut stack).await?;
    let mut admin = Admin::join(&stack).await?;
    // Idle: started, the admin room joined, nothing to do for a while.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss_idle = bridge.rss_mib();

    let t = Instant::now();
    admin
        .say("broadcast eventi Consiglio comunale stasera alle 21 in sala consiliare.")
        .await?;
    let draft = admin.wait_for("Draft #1", "").await?;
    let draft_secs = t.elapsed().as_secs_f64();
    eprintln!("{draft}");
    let cpu = bridge.cpu_time();
    admin.say("approve 1").await?;
    let report = admin
        .wait_for("📢 Report of broadcast #1", &format!("sent {n} of"))
        .await?;
    let cpu = bridge.cpu_time().saturating_sub(cpu);
    let log = sim.light_log();
    let times: Vec<SystemTime> = log.iter().filter(|r| r.1 == 200).map(|r| r.0).collect();
    let refused = log.iter().filter(|r| r.1 == 400).count();
    let first = *times.iter().min().unwrap_or(&SystemTime::now());
    let last = *times.iter().max().unwrap_or(&SystemTime::now());
    let span = last
        .duration_since(first)
        .unwrap_or_default()
        .as_secs_f64()
        .max(0.001);
    println!("subscribers:          {n}, each with a portal (a third inside the window)");
    println!(
        "start-up:             webhook handshake answered {:.0} ms after the process started",
        bridge.handshake_after.as_secs_f64() * 1e3
    );
    println!(
        "status webhooks:      {}",
        if statuses {
            "sent/delivered/read for each"
        } else {
            "off"
        }
    );
    println!("draft with preview:   {draft_secs:.1} s");
    println!(
        "sent:                 {} in {span:.1} s = {:.0} msg/s (cap {mps})",
        times.len(),
        times.len() as f64 / span
    );
    let sent = times.len();
    println!("peak in any second:   {}", peak_per_second(times));
    println!("130429 answers:       {refused}");
    println!(
        "bridge CPU:           {:.3} ms per sent message (user + system, approval to report)",
        cpu.as_secs_f64() * 1e3 / sent.max(1) as f64
    );
    println!(
        "bridge memory:        {rss_idle:.1} MiB idle (10 s after start), peak {:.1} MiB, {:.1} MiB after",
        bridge.peak_rss_mib(),
        bridge.rss_mib()
    );
    println!(
        "benchmark process:    peak {:.0} MiB (simulator, admin client)",
        peak_rss_mib()
    );
    println!("report:               {report}");
    Ok(())
}
