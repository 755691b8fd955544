//! Benchmark: citizen messages through the bridge into a real Synapse, against a bare
//! client sending the same messages to the same Synapse in the same run (Synapse is the
//! ceiling on a small machine, so the ratio is what describes the bridge).
//!
//!     cargo run --release -p sportello-testkit --bin sportello-bench -- [CITIZENS] [MESSAGES_EACH]
//!
//! Reports webhook acknowledgement latency (verify + durable commit + 200), end-to-end
//! throughput, the baseline, and this process's peak memory (bridge + simulator + bench).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sportello_simulator::webhook::Citizen;
use sportello_testkit::{Stack, StackOptions, measure::peak_rss_mib};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn count_messages(
    http: &reqwest::Client,
    hs: &str,
    token: &str,
    room: &str,
    sender: &str,
) -> usize {
    let url = format!("{hs}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=1000");
    let v: Value = match http.get(url).bearer_auth(token).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => return 0,
    };
    if v.get("chunk").is_none() {
        eprintln!("messages: {v}");
    }
    v["chunk"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter(|e| e["type"] == "m.room.message" && e["sender"] == sender)
                .count()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    sportello_testkit::measure::bench_logs();
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let citizens = *args.first().unwrap_or(&10);
    let each = *args.get(1).unwrap_or(&40);
    let stack = Stack::start(StackOptions {
        retry_max_secs: 5,
        ..Default::default()
    })
    .await?;
    let sim = stack.sim.clone();
    let hs = stack.synapse.url.clone();
    let http = reqwest::Client::new();
    let token = stack.synapse.login("mario", "mario").await?;
    let people: Vec<Citizen> = (0..citizens)
        .map(|i| Citizen::phone(&format!("3933300{i:05}"), &format!("Citizen {i}")))
        .collect();

    eprintln!("warm-up: creating {citizens} portals");
    // Warm-up: one message each creates the portals (not measured).
    for c in &people {
        sim.post(&sim.notification(&[c], vec![sim.text(c, "warm-up")]))
            .await;
    }
    let mut rooms = Vec::new();
    for c in &people {
        let alias = format!(
            "%23whatsapp_{}:comune.test",
            c.wa_id.as_deref().unwrap_or_default()
        );
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
        let ghost = format!(
            "@whatsapp_{}:comune.test",
            c.wa_id.as_deref().unwrap_or_default()
        );
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

    eprintln!("measuring {} messages", citizens * each);
    // Measured: every citizen sends `each` messages, one webhook each, all citizens at once.
    let total = citizens * each;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in people.clone() {
        let sim = sim.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in 0..each {
                let n = sim.notification(&[&c], vec![sim.text(&c, &format!("message {i}"))]);
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
    let acked = start.elapsed();
    loop {
        let mut done = 0;
        for (room, ghost) in &rooms {
            done += count_messages(&http, &hs, &token, room, ghost)
                .await
                .saturating_sub(1);
        }
        if done >= total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let bridged = start.elapsed();

    eprintln!("baseline");
    // Baseline: the same number of messages sent straight to Synapse by the same ghosts.
    let matrix = sportello::matrix::MatrixClient::new(&hs, &stack.config.raw.appservice.as_token);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (k, (room, ghost)) in rooms.iter().cloned().enumerate() {
        let m = matrix.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..each {
                m.send(
                    Some(&ghost),
                    &room,
                    "m.room.message",
                    &format!("bench-{k}-{i}"),
                    &json!({"msgtype": "m.text", "body": "baseline"}),
                )
                .await
                .expect("baseline send");
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let baseline = start.elapsed();

    lat.sort();
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    println!("citizens {citizens}, messages each {each}, total {total}");
    println!(
        "webhook ack latency: p50 {:?}  p99 {:?}  max {:?}",
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat[lat.len() - 1]
    );
    println!(
        "all webhooks acknowledged in {:.2} s ({:.0}/s)",
        acked.as_secs_f64(),
        rate(acked)
    );
    println!(
        "bridged into Synapse in {:.2} s: {:.1} msg/s",
        bridged.as_secs_f64(),
        rate(bridged)
    );
    println!(
        "bare client, same Synapse: {:.2} s: {:.1} msg/s",
        baseline.as_secs_f64(),
        rate(baseline)
    );
    println!(
        "bridge / bare client: {:.2}",
        rate(bridged) / rate(baseline)
    );
    println!(
        "peak RSS of bridge + simulator + bench process: {:.0} MiB",
        peak_rss_mib()
    );
    Ok(())
}
