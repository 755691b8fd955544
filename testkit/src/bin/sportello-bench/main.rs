//! Benchmark: citizen messages through the bridge into a real Synapse, against a bare client
//! sending the same messages to the same Synapse, in alternating rounds (A B A B …) so the
//! machine's drift hits both alike. Synapse is the ceiling on a small machine, so the ratio is
//! what describes the bridge's throughput; the bridge runs as its own process, so its CPU time
//! (user + system, from `/proc`) and peak memory are its own.
//!
//!     cargo run --release -p sportello-testkit --bin sportello-bench -- [CITIZENS] [MESSAGES_EACH] [ROUNDS] [--versus OTHER]
//!
//! With `--versus OTHER` (another build of this binary), each round's bridged messages go once
//! through this build's bridge and once through OTHER's, in alternating order, on the same
//! Synapse and store; each build gets its own summary (README, "Benchmarks").
//!
//! Defaults: 10 citizens × 40 messages, 2 rounds of each kind. A round ends when a staff
//! member's client, following the rooms with `/sync` as Element does (in both kinds of round
//! alike), has seen every citizen's last message. Reports, per bridged round and over all of
//! them: the webhook acknowledgement latency (verify + durable commit + 200) p50 and p99, the
//! rate into Synapse, the bridge's CPU time per bridged message, the bare client's rate and the
//! ratio, and Synapse's CPU per message in every round (`meter.rs`); then the bridge's durable
//! store commits and homeserver requests per bridged message (from its own metrics) and its
//! peak RSS.

mod meter;
mod tally;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use meter::Reading;
use serde_json::{Value, json};
use sportello::matrix::MatrixClient;
use sportello_simulator::webhook::Citizen;
use sportello_testkit::child::BridgeChild;
use sportello_testkit::measure::get_json;
use sportello_testkit::{Stack, StackOptions};
use tally::{Tally, mean};

async fn count_messages(
    http: &reqwest::Client,
    hs: &str,
    token: &str,
    room: &str,
    sender: &str,
) -> usize {
    let url = format!("{hs}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=1000");
    let v = get_json(http, url, token).await.unwrap_or(Value::Null);
    let chunk = v["chunk"].as_array().cloned().unwrap_or_default();
    chunk
        .iter()
        .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
        .count()
}

/// The rooms and ghosts under measure, and how to read them.
struct Rooms {
    http: reqwest::Client,
    hs: String,
    token: String,
    rooms: Vec<(String, String)>,
}

impl Rooms {
    async fn counts(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for (room, ghost) in &self.rooms {
            out.push(count_messages(&self.http, &self.hs, &self.token, room, ghost).await);
        }
        out
    }

    /// Follows the rooms as a staff member's client does (`/sync`, long-polling) until the
    /// latest message of every room's ghost is `last`. The bridge keeps each citizen's order,
    /// so all before it are in; both kinds of round are watched alike.
    async fn watch_until(&self, since: &mut String, last: &str) -> anyhow::Result<()> {
        let filter = json!({
            "presence": {"types": []},
            "account_data": {"types": []},
            "room": {"timeline": {"types": ["m.room.message"], "limit": 50},
                     "state": {"types": []}, "ephemeral": {"types": []}}
        })
        .to_string();
        let mut done = std::collections::HashSet::new();
        while done.len() < self.rooms.len() {
            let url = format!("{}/_matrix/client/v3/sync", self.hs);
            let query = [
                ("since", since.as_str()),
                ("timeout", "10000"),
                ("filter", &filter),
            ];
            let url = reqwest::Url::parse_with_params(&url, query)?;
            let v = get_json(&self.http, url, &self.token).await?;
            *since = v["next_batch"].as_str().unwrap_or(since).to_owned();
            for (room, ghost) in &self.rooms {
                let events = v["rooms"]["join"][room]["timeline"]["events"].as_array();
                if events
                    .into_iter()
                    .flatten()
                    .any(|e| e["sender"] == *ghost && e["content"]["body"] == last)
                {
                    done.insert(room.clone());
                }
            }
        }
        Ok(())
    }

    /// Where a staff member's client starts following.
    async fn sync_token(&self) -> anyhow::Result<String> {
        let url = format!("{}/_matrix/client/v3/sync?timeout=0", self.hs);
        let v = get_json(&self.http, url, &self.token).await?;
        Ok(v["next_batch"].as_str().unwrap_or_default().to_owned())
    }

    /// After a round (untimed): every room has `each` more of its ghost's messages.
    async fn check(&self, before: &[usize], each: usize) -> anyhow::Result<()> {
        let now = self.counts().await;
        for (n, b) in now.iter().zip(before) {
            anyhow::ensure!(
                *n == b + each,
                "a room has {n} messages, expected {}",
                b + each
            );
        }
        Ok(())
    }
}

/// What a bridged round measured.
struct Round {
    /// Each webhook's acknowledgement latency.
    lat: Vec<Duration>,
    /// Until every message was in Synapse.
    took: Duration,
    /// The readings around the timed part (the counts around it left out: they grow with the
    /// rooms).
    timed: (Reading, Reading),
    /// The bridge's CPU time when the last webhook was acknowledged.
    acked: Duration,
}

/// One round through the bridge: every citizen sends `each` messages, one webhook each, all
/// citizens at once. The acknowledgement latencies, and the time until all are in Synapse.
async fn bridged_round(
    stack: &Stack,
    bridge: &BridgeChild,
    people: &[Citizen],
    rooms: &Rooms,
    since: &mut String,
    each: usize,
    round: usize,
) -> anyhow::Result<Round> {
    let before = rooms.counts().await;
    let synapse = stack.synapse.pid();
    let reading = Reading::now(synapse);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in people {
        let (sim, c) = (stack.sim.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in 0..each {
                let n = sim.notification(
                    &[&c],
                    vec![sim.text(&c, &format!("round {round} message {i}"))],
                );
                let t = Instant::now();
                assert_eq!(sim.post(&n).await, 200);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    let acked = bridge.cpu_time();
    rooms
        .watch_until(since, &format!("round {round} message {}", each - 1))
        .await?;
    let took = start.elapsed();
    let timed = (reading, Reading::now(synapse));
    rooms.check(&before, each).await?;
    Ok(Round {
        lat,
        took,
        timed,
        acked,
    })
}

/// One round of the bare client: the same messages straight to Synapse as the same ghosts.
/// How long it took, and the readings around it (`synapse`: its process id).
async fn bare_round(
    matrix: &MatrixClient,
    rooms: &Rooms,
    since: &mut String,
    each: usize,
    round: usize,
    synapse: Option<u32>,
) -> anyhow::Result<(Duration, (Reading, Reading))> {
    let before = rooms.counts().await;
    let reading = Reading::now(synapse);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (k, (room, ghost)) in rooms.rooms.iter().cloned().enumerate() {
        let m = matrix.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..each {
                let body = format!("bare round {round} message {i}");
                let content = json!({"msgtype": "m.text", "body": body});
                let txn = format!("bench-{round}-{k}-{i}");
                m.send(Some(&ghost), &room, "m.room.message", &txn, &content)
                    .await
                    .expect("bare send");
            }
        }));
    }
    rooms
        .watch_until(since, &format!("bare round {round} message {}", each - 1))
        .await?;
    let took = start.elapsed();
    for t in tasks {
        t.await?;
    }
    let timed = (reading, Reading::now(synapse));
    rooms.check(&before, each).await?;
    Ok((took, timed))
}

/// Creates each citizen's portal (one message each, not measured); their rooms and ghosts.
async fn warm_up(stack: &Stack, people: &[Citizen]) -> anyhow::Result<Rooms> {
    let hs = stack.synapse.url.clone();
    let http = reqwest::Client::new();
    let token = stack.synapse.login("mario", "mario").await?;
    for c in people {
        stack
            .sim
            .post(
                &stack
                    .sim
                    .notification(&[c], vec![stack.sim.text(c, "warm-up")]),
            )
            .await;
    }
    let mut rooms = Vec::new();
    for c in people {
        let number = c.wa_id.as_deref().unwrap_or_default();
        let alias = format!("%23whatsapp_{number}:comune.test");
        let room = loop {
            let r = http
                .get(format!("{hs}/_matrix/client/v3/directory/room/{alias}"))
                .bearer_auth(&token)
                .send()
                .await?;
            if r.status() == 200 {
                break r.json::<Value>().await?["room_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let ghost = format!("@whatsapp_{number}:comune.test");
        // The alias exists as soon as the room does; the invite follows a moment later.
        let join = format!("{hs}/_matrix/client/v3/join/{room}");
        while http
            .post(&join)
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await?
            .status()
            != 200
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        while count_messages(&http, &hs, &token, &room, &ghost).await < 1 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        rooms.push((room, ghost));
    }
    Ok(Rooms {
        http,
        hs,
        token,
        rooms,
    })
}

fn main() -> anyhow::Result<()> {
    if let Some(served) = sportello_testkit::child::serve_if_asked() {
        return served;
    }
    sportello_testkit::measure::bench_logs();
    let args = sportello_testkit::measure::numeric_args();
    let citizens = *args.first().unwrap_or(&10);
    let each = *args.get(1).unwrap_or(&40);
    let rounds = *args.get(2).unwrap_or(&2);
    let all: Vec<String> = std::env::args().collect();
    let versus = all
        .iter()
        .position(|a| a == "--versus")
        .map(|i| {
            all.get(i + 1)
                .map(PathBuf::from)
                .context("--versus needs a binary")
        })
        .transpose()?;
    tokio::runtime::Runtime::new()?.block_on(run(citizens, each, rounds, versus))
}

/// The bridge's store commits so far, the writers they served, and its requests to the
/// homeserver, from its metrics.
async fn commits(metrics: &str) -> (f64, f64, f64) {
    let text = match reqwest::get(metrics).await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let read = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let homeserver: f64 = text
        .lines()
        .filter(|l| l.starts_with("sportello_homeserver_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    (
        read("sportello_store_commits_total "),
        read("sportello_store_commit_writers_total "),
        homeserver,
    )
}

/// One build's bridge: this binary, or the other build named with `--versus`.
struct Build {
    /// Printed before its summary lines when two builds are compared.
    prefix: String,
    exe: Option<PathBuf>,
    tally: Tally,
}

/// Makes `want` the running bridge: the other build's process is stopped first, after the
/// flusher made its last soon commits durable (so the next build does not redo them).
async fn switch_to(
    stack: &mut Stack,
    running: &mut Option<(usize, BridgeChild)>,
    builds: &[Build],
    want: usize,
) -> anyhow::Result<()> {
    if running.as_ref().is_some_and(|(i, _)| *i == want) {
        return Ok(());
    }
    if let Some((_, old)) = running.take() {
        tokio::time::sleep(FLUSHED).await;
        drop(old);
    }
    let child = BridgeChild::replace_with(stack, builds[want].exe.as_deref()).await?;
    *running = Some((want, child));
    Ok(())
}

/// Longer than the store's flush window (`store::durability::FLUSH_WITHIN`, 1 s).
const FLUSHED: Duration = Duration::from_secs(2);

async fn run(
    citizens: usize,
    each: usize,
    rounds: usize,
    versus: Option<PathBuf>,
) -> anyhow::Result<()> {
    let metrics_port = sportello_testkit::synapse::free_port();
    let metrics = format!("http://127.0.0.1:{metrics_port}/metrics");
    let mut stack = Stack::start(StackOptions {
        retry_max_secs: 5,
        extra_toml: format!("[metrics]\nbind = \"127.0.0.1:{metrics_port}\"\n"),
        ..Default::default()
    })
    .await?;
    let mut builds = vec![Build {
        prefix: String::new(),
        exe: None,
        tally: Tally::default(),
    }];
    if let Some(other) = versus {
        builds[0].prefix = "this build: ".into();
        builds.push(Build {
            prefix: format!("{}: ", other.display()),
            exe: Some(other),
            tally: Tally::default(),
        });
    }
    let mut running = None;
    switch_to(&mut stack, &mut running, &builds, 0).await?;
    let people: Vec<Citizen> = (0..citizens)
        .map(|i| Citizen::phone(&format!("3933300{i:05}"), &format!("Citizen {i}")))
        .collect();
    eprintln!("warm-up: creating {citizens} portals");
    let rooms = warm_up(&stack, &people).await?;
    let mut since = rooms.sync_token().await?;
    let matrix = MatrixClient::new(&stack.synapse.url, &stack.config.raw.appservice.as_token);
    let total = citizens * each;
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!(
        "citizens {citizens}, messages each {each}, {total} per round, {rounds} rounds of each kind (A B A B …){}",
        if builds.len() > 1 {
            ", each A once per build, in alternating order"
        } else {
            ""
        }
    );
    let (mut b_rates, mut cpu_bare, mut synapse_bare) =
        (Vec::new(), Duration::ZERO, Duration::ZERO);
    for round in 1..=rounds {
        let order: Vec<usize> = if round % 2 == 1 {
            (0..builds.len()).collect()
        } else {
            (0..builds.len()).rev().collect()
        };
        for (k, &b) in order.iter().enumerate() {
            switch_to(&mut stack, &mut running, &builds, b).await?;
            let bridge = &running.as_ref().expect("started above").1;
            // Each bridged round has messages of its own, so every build bridges new ones.
            let label = round * builds.len() + k;
            // The bridge's CPU over the whole round, its trailing commits and the counts
            // included (as in the earlier figures); Synapse's over the timed part only.
            let cpu = bridge.cpu_time();
            let (c0, w0, h0) = commits(&metrics).await;
            let Round {
                mut lat,
                took,
                timed: (r0, r1),
                acked,
            } = bridged_round(&stack, bridge, &people, &rooms, &mut since, each, label).await?;
            let used = r1.since(&r0, bridge.cpu_time().saturating_sub(cpu));
            let (c1, w1, h1) = commits(&metrics).await;
            let (p50, p99) = Tally::round_percentiles(&mut lat);
            let build = &mut builds[b];
            println!(
                "A{round} {}bridged: {:.1} msg/s, ack p50 {p50:.1} ms p99 {p99:.1} ms, {}",
                build.prefix,
                rate(took),
                used.line(total)
            );
            let t = &mut build.tally;
            t.cpu_acks += acked.saturating_sub(cpu);
            t.cpu += used.bridge;
            t.synapse += used.synapse;
            t.commits += c1 - c0;
            t.writers += w1 - w0;
            t.homeserver += h1 - h0;
            t.rates.push(rate(took));
            t.lat.extend(lat);
            t.messages += total;
            t.peak_rss = t.peak_rss.max(bridge.peak_rss_mib());
        }
        let bridge = &running.as_ref().expect("started above").1;
        let cpu = bridge.cpu_time();
        let synapse = stack.synapse.pid();
        let (took, (r0, r1)) =
            bare_round(&matrix, &rooms, &mut since, each, round, synapse).await?;
        let used = r1.since(&r0, bridge.cpu_time().saturating_sub(cpu));
        cpu_bare += used.bridge;
        synapse_bare += used.synapse;
        println!(
            "B{round} bare client: {:.1} msg/s, {} (the bridge's: only Synapse's transactions of the ghosts' events)",
            rate(took),
            used.line(total)
        );
        b_rates.push(rate(took));
    }
    let per_bare = |d: Duration| d.as_secs_f64() * 1e3 / (total * rounds) as f64;
    println!(
        "bridge CPU per bare-client message: {:.2} ms (the echo of a ghost's event alone); Synapse's: {:.1} ms",
        per_bare(cpu_bare),
        per_bare(synapse_bare)
    );
    // After the flusher's last flush and Synapse's last transactions.
    tokio::time::sleep(FLUSHED).await;
    let bridge = &running.as_ref().expect("started above").1;
    let (cpu, idle) = (bridge.cpu_time(), Duration::from_secs(5));
    tokio::time::sleep(idle).await;
    println!(
        "bridge CPU idle: {:.2} ms per second",
        bridge.cpu_time().saturating_sub(cpu).as_secs_f64() * 1e3 / idle.as_secs_f64()
    );
    for b in &mut builds {
        b.tally.print(&b.prefix, mean(&b_rates));
    }
    Ok(())
}
