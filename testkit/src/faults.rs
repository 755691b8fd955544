//! Fault figures: floods and failures run against the whole stack (real Synapse, the Cloud
//! API simulator, the bridge), counting what arrives where. Shared by the `sportello-faults`
//! binary (full size: the figures in the README) and the test suite (small size, asserted).
//!
//! - [`inbound_flood`]: citizens' messages, each webhook delivered several times, citizens in
//!   random order, optionally with Synapse stopped for a while or the bridge SIGKILLed; then
//!   every citizen's room is read back: each message once, in order.
//! - [`graph_faults`]: staff answers while the Graph API fails a share of the sends (500,
//!   429, a reset connection, a timeout); then every answer must be delivered or explained
//!   in its room, and none sent twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sportello_simulator::{Failure, Simulator, webhook::Citizen};

use crate::Stack;
use crate::reader::RoomReader;

/// A seeded xorshift64 (reproducible runs without a dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// What happens to the stack in the middle of a flood.
pub enum Disturbance {
    Nothing,
    /// Synapse stopped when half the webhooks are in, started again after this long.
    SynapseDown(Duration),
    /// The bridge, run as a child process by `bridge`, SIGKILLed this many times during the
    /// flood and started again each time.
    BridgeKilled {
        times: u32,
        bridge: Box<dyn Fn(&Path) -> Command + Send>,
    },
}

pub struct Flood {
    pub citizens: usize,
    pub each: usize,
    /// How many times each webhook is delivered.
    pub copies: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodFigures {
    pub expected: usize,
    pub webhooks_posted: usize,
    /// Messages found in the rooms (first copies).
    pub arrived: usize,
    pub duplicated: usize,
    pub lost: usize,
    /// Citizens whose messages are not in the order they were sent.
    pub out_of_order: usize,
    pub acknowledged_in: Duration,
    pub bridged_in: Duration,
}

fn body(citizen: usize, i: usize) -> String {
    format!("{citizen:03}-{i:05} È così, l'ufficio è aperto? 😀")
}

fn parse_body(b: &str) -> Option<(usize, usize)> {
    let (c, rest) = b.split_once('-')?;
    Some((c.parse().ok()?, rest.get(..5)?.parse().ok()?))
}

/// Posts until acknowledged, as Meta retries (the bridge may be down for a moment).
async fn deliver(sim: &Simulator, n: &Value) {
    let mut wait = Duration::from_millis(50);
    loop {
        if sim.post(n).await == 200 {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

/// Each citizen's deliveries: every message once in order, and its extra copies at random
/// later places (Meta may deliver a webhook again at any time after the first).
fn citizen_sequence(rng: &mut Rng, n: usize, copies: usize) -> Vec<usize> {
    let mut seq: Vec<usize> = (0..n).collect();
    for i in 0..n {
        for _ in 1..copies {
            let first = seq.iter().position(|m| *m == i).expect("placed");
            let at = first + 1 + rng.below(seq.len() - first);
            seq.insert(at, i);
        }
    }
    seq
}

/// The bridge as a child process on the stack's port and store; returns once it answers.
async fn spawn_bridge(
    stack: &Stack,
    bridge: &(dyn Fn(&Path) -> Command + Send),
    config: &Path,
) -> anyhow::Result<Child> {
    let child = bridge(config)
        .spawn()
        .context("starting the bridge process")?;
    crate::child::answers(stack).await?;
    Ok(child)
}

fn kill(child: &mut Child) {
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

/// Runs a flood and reads every citizen's room back.
pub async fn inbound_flood(
    stack: &mut Stack,
    flood: &Flood,
    disturbance: Disturbance,
) -> anyhow::Result<FloodFigures> {
    let mut rng = Rng(flood.seed.max(1));
    let people: Vec<Citizen> = (0..flood.citizens)
        .map(|c| Citizen::phone(&format!("39347{c:07}"), &format!("Cittadino {c}")))
        .collect();
    // Eight lanes post at once; a citizen stays in one lane, so their deliveries keep their
    // order, while citizens interleave at random.
    const LANES: usize = 8;
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); LANES];
    let mut pending: Vec<Vec<Vec<Value>>> = vec![Vec::new(); LANES];
    for (c, who) in people.iter().enumerate() {
        let messages: Vec<Value> = (0..flood.each)
            .map(|i| stack.sim.text(who, &body(c, i)))
            .collect();
        let seq = citizen_sequence(&mut rng, flood.each, flood.copies);
        pending[c % LANES].push(
            seq.into_iter()
                .map(|i| stack.sim.notification(&[who], vec![messages[i].clone()]))
                .collect(),
        );
    }
    for (lane, mut queues) in pending.into_iter().enumerate() {
        for q in &mut queues {
            q.reverse();
        }
        while !queues.is_empty() {
            let k = rng.below(queues.len());
            lanes[lane].push(queues[k].pop().expect("non-empty"));
            if queues[k].is_empty() {
                queues.swap_remove(k);
            }
        }
    }
    let total: usize = lanes.iter().map(Vec::len).sum();

    // The bridge as a child process, when it is to be killed.
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &stack.config_text)?;
    let mut child = None;
    if let Disturbance::BridgeKilled { bridge, .. } = &disturbance {
        stack.stop_bridge().await;
        child = Some(spawn_bridge(stack, bridge.as_ref(), &config).await?);
    }

    let posted = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for lane in lanes {
        let sim = stack.sim.clone();
        let posted = posted.clone();
        tasks.push(tokio::spawn(async move {
            for n in lane {
                deliver(&sim, &n).await;
                posted.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let reached = |share: f64| {
        let posted = posted.clone();
        async move {
            while (posted.load(Ordering::Relaxed) as f64) < total as f64 * share {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    match &disturbance {
        Disturbance::Nothing => {}
        Disturbance::SynapseDown(d) => {
            reached(0.5).await;
            stack.synapse.stop();
            tokio::time::sleep(*d).await;
            stack.synapse.resume()?;
        }
        Disturbance::BridgeKilled { times, bridge } => {
            for k in 1..=*times {
                reached(k as f64 / (*times + 1) as f64).await;
                if let Some(c) = child.as_mut() {
                    kill(c);
                }
                child = Some(spawn_bridge(stack, bridge.as_ref(), &config).await?);
            }
        }
    }
    for t in tasks {
        t.await?;
    }
    let acknowledged_in = start.elapsed();

    // Read the rooms until everything is there (or nothing moves for two minutes).
    let reader = RoomReader::new(stack);
    let mut last = (0, Instant::now());
    let figures = loop {
        let mut seen: HashMap<usize, Vec<usize>> = HashMap::new();
        for (c, who) in people.iter().enumerate() {
            let alias = format!(
                "#whatsapp_{}:comune.test",
                who.wa_id.as_deref().unwrap_or("")
            );
            for b in reader.bodies(&alias).await? {
                if let Some((bc, i)) = parse_body(&b)
                    && bc == c
                {
                    seen.entry(c).or_default().push(i);
                }
            }
        }
        let found: usize = seen.values().map(Vec::len).sum();
        let distinct: usize = seen
            .values()
            .map(|v| {
                let mut d = v.clone();
                d.sort_unstable();
                d.dedup();
                d.len()
            })
            .sum();
        let expected = flood.citizens * flood.each;
        if distinct >= expected || last.1.elapsed() > Duration::from_secs(120) {
            let out_of_order = seen
                .values()
                .filter(|v| v.windows(2).any(|w| w[0] >= w[1]))
                .count();
            break FloodFigures {
                expected,
                webhooks_posted: total,
                arrived: distinct,
                duplicated: found - distinct,
                lost: expected - distinct.min(expected),
                out_of_order,
                acknowledged_in,
                bridged_in: start.elapsed(),
            };
        }
        if found != last.0 {
            last = (found, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if let Some(mut c) = child {
        // Let the child finish what it is doing, then give the stack its bridge back.
        kill(&mut c);
        stack.start_bridge().await?;
    }
    Ok(figures)
}

pub struct GraphFaults {
    pub citizens: usize,
    pub answers: usize,
    /// Share of sends that fail (per cent).
    pub percent: u32,
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphFigures {
    pub answers: usize,
    /// Sends the simulator failed (500, 429, reset, timeout).
    pub faults: usize,
    /// Taken by WhatsApp exactly once.
    pub delivered: usize,
    /// Not taken, or not known to be: a notice explains it under the staff message.
    pub explained: usize,
    /// Neither delivered nor explained.
    pub silent: usize,
    pub sent_twice: usize,
    pub took: Duration,
}

/// Staff answer `answers` times across `citizens` rooms while the Graph API fails
/// `percent` of the sends; the stack's `request_timeout_secs` must be short (the timeouts
/// are held one second longer).
pub async fn graph_faults(stack: &Stack, g: &GraphFaults) -> anyhow::Result<GraphFigures> {
    let sim = &stack.sim;
    let reader = RoomReader::new(stack);
    let hs = reader.hs.clone();
    let staff = stack.synapse.login("mario", "mario").await?;
    let http = reqwest::Client::new();
    let mut rooms = Vec::new();
    for c in 0..g.citizens {
        let who = Citizen::phone(&format!("39348{c:07}"), &format!("Cittadina {c}"));
        deliver(
            sim,
            &sim.notification(&[&who], vec![sim.text(&who, "Buongiorno!")]),
        )
        .await;
        let alias = format!(
            "#whatsapp_{}:comune.test",
            who.wa_id.as_deref().unwrap_or("")
        );
        let deadline = Instant::now() + Duration::from_secs(120);
        let room = loop {
            if let Some(r) = reader.room(&alias).await? {
                let joined = http
                    .post(format!("{hs}/_matrix/client/v3/join/{r}"))
                    .bearer_auth(&staff)
                    .json(&json!({}))
                    .send()
                    .await?
                    .status()
                    .is_success();
                if joined {
                    break r;
                }
            }
            if Instant::now() > deadline {
                bail!("no portal for citizen {c}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        rooms.push(room);
    }
    let timeout = Duration::from_secs(stack.config.raw.whatsapp.request_timeout_secs);
    let kinds = vec![
        Failure::Http500,
        Failure::Graph {
            http_status: 429,
            code: 80007,
            message: "Rate limit issues".into(),
        },
        Failure::Reset,
        Failure::Delay(timeout + Duration::from_secs(1)),
    ];
    let before = sim.recorded().len();
    sim.fail_randomly(g.percent, kinds, g.seed);
    let start = Instant::now();
    let mut sent: Vec<(String, String, String)> = Vec::new(); // room, event, text
    for k in 0..g.answers {
        let room = &rooms[k % rooms.len()];
        let text = format!("Risposta {k:05}: è aperto fino alle 13 ☺");
        let v: Value = http
            .put(format!(
                "{hs}/_matrix/client/v3/rooms/{room}/send/m.room.message/faults-{k}"
            ))
            .bearer_auth(&staff)
            .json(&json!({"msgtype": "m.text", "body": text}))
            .send()
            .await?
            .json()
            .await?;
        let event = v["event_id"].as_str().context("no event id")?.to_owned();
        sent.push((room.clone(), event, text));
    }

    // Wait until every answer is delivered or explained (or nothing moves for two minutes).
    let mut last = (usize::MAX, Instant::now());
    loop {
        let figures = graph_figures(sim, &reader, &sent, before, start).await?;
        if figures.silent == 0 || last.1.elapsed() > Duration::from_secs(120) {
            sim.fail_randomly(0, vec![], 0);
            return Ok(figures);
        }
        if figures.silent != last.0 {
            last = (figures.silent, Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn graph_figures(
    sim: &Simulator,
    reader: &RoomReader,
    sent: &[(String, String, String)],
    before: usize,
    start: Instant,
) -> anyhow::Result<GraphFigures> {
    let recorded = sim.recorded();
    let mut taken: HashMap<&str, usize> = HashMap::new();
    for r in recorded.iter().skip(before).filter(|r| r.status == 200) {
        if let Some(text) = r.body["text"]["body"].as_str() {
            *taken.entry(text).or_default() += 1;
        }
    }
    let faults = sim.random_failures();
    let mut explained_events: std::collections::HashSet<String> = Default::default();
    let mut rooms: Vec<&str> = sent.iter().map(|(r, _, _)| r.as_str()).collect();
    rooms.sort_unstable();
    rooms.dedup();
    for room in rooms {
        for e in reader.events(room).await? {
            if let Some(target) = e["content"]["m.relates_to"]["m.in_reply_to"]["event_id"].as_str()
                && e["content"]["msgtype"] == "m.notice"
            {
                explained_events.insert(target.to_owned());
            }
        }
    }
    let mut f = GraphFigures {
        answers: sent.len(),
        faults,
        delivered: 0,
        explained: 0,
        silent: 0,
        sent_twice: 0,
        took: start.elapsed(),
    };
    for (_, event, text) in sent {
        let n = taken.get(text.as_str()).copied().unwrap_or(0);
        if n > 1 {
            f.sent_twice += 1;
        }
        if explained_events.contains(event) {
            f.explained += 1;
        } else if n == 1 {
            f.delivered += 1;
        } else {
            f.silent += 1;
        }
    }
    Ok(f)
}

/// Where the binary finds the `sportello` executable next to itself, if built.
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    let p = me.parent()?.join(name);
    p.exists().then_some(p)
}
