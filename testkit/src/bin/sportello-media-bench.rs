//! Benchmark: the bridge's memory while citizens' large files pass through it. Citizens send
//! documents at the same moment; the bridge (its own process) streams each from the Graph API
//! into Synapse. Reports the bridge's peak RSS before and after, and checks every file arrived
//! whole (downloaded back from Synapse and compared by SHA-256).
//!
//!     cargo run --release -p sportello-testkit --bin sportello-media-bench -- [MB] [FILES]
//!
//! Defaults: 3 files of 60 MB at once (the bridge passes on at most 3 at a time). A bridge that
//! held each file whole would peak above MB × FILES; a streaming one stays near its idle size.

use std::time::Instant;

use serde_json::Value;
use sha2::{Digest, Sha256};
use sportello_simulator::webhook::Citizen;
use sportello_testkit::child::BridgeChild;
use sportello_testkit::{Stack, StackOptions};

/// Deterministic, incompressible-looking bytes (so no layer can shrink them).
fn file_bytes(mb: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(mb << 20);
    while out.len() < mb << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(mb << 20);
    out
}

async fn get_json(http: &reqwest::Client, url: String, token: &str) -> Option<Value> {
    http.get(url)
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

/// The `m.file` event the citizen's ghost posted in their portal, once it is there.
async fn file_event(http: &reqwest::Client, hs: &str, token: &str, alias: &str) -> Option<Value> {
    let alias = alias.replace('#', "%23");
    let r = get_json(
        http,
        format!("{hs}/_matrix/client/v3/directory/room/{alias}"),
        token,
    )
    .await?;
    let room = r["room_id"].as_str()?;
    // The bench's staff member joins to read the room.
    let _ = http
        .post(format!("{hs}/_matrix/client/v3/join/{room}"))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await;
    let url = format!("{hs}/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=50");
    let v = get_json(http, url, token).await?;
    v["chunk"]
        .as_array()?
        .iter()
        .find(|e| e["content"]["msgtype"] == "m.file")
        .cloned()
}

async fn sha256_of_mxc(http: &reqwest::Client, hs: &str, token: &str, mxc: &str) -> Vec<u8> {
    let path = mxc.trim_start_matches("mxc://");
    let bytes = http
        .get(format!("{hs}/_matrix/client/v1/media/download/{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("body");
    Sha256::digest(&bytes).to_vec()
}

fn main() -> anyhow::Result<()> {
    if let Some(served) = sportello_testkit::child::serve_if_asked() {
        return served;
    }
    sportello_testkit::measure::bench_logs();
    let args = sportello_testkit::measure::numeric_args();
    let mb = *args.first().unwrap_or(&60);
    let files = *args.get(1).unwrap_or(&3);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let mut stack = Stack::start(StackOptions {
            max_upload_size: format!("{}M", mb + 10),
            ..Default::default()
        })
        .await?;
        let bridge = BridgeChild::replace(&mut stack).await?;
        let sim = stack.sim.clone();
        let hs = stack.synapse.url.clone();
        let http = reqwest::Client::new();
        let token = stack.synapse.login("mario", "mario").await?;
        let people: Vec<Citizen> = (0..files)
            .map(|i| Citizen::phone(&format!("3934400{i:05}"), &format!("Cittadino {i}")))
            .collect();
        // Warm-up: each citizen's portal exists before the files come (not measured).
        for c in &people {
            sim.post(&sim.notification(&[c], vec![sim.text(c, "Buongiorno, vi mando il modulo")]))
                .await;
        }
        let aliases: Vec<String> = people
            .iter()
            .map(|c| format!("#whatsapp_{}:comune.test", c.wa_id.as_deref().unwrap_or_default()))
            .collect();
        for alias in &aliases {
            while reqwest::get(format!("{hs}/_matrix/client/v3/directory/room/{}", alias.replace('#', "%23")))
                .await
                .map(|r| !r.status().is_success())
                .unwrap_or(true)
            {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
        let idle_peak = bridge.peak_rss_mib();
        let idle_cpu = bridge.cpu_time();
        let mut sums = Vec::new();
        let mut posts = Vec::new();
        for (i, c) in people.iter().enumerate() {
            let bytes = file_bytes(mb, i as u64 + 1);
            sums.push(Sha256::digest(&bytes).to_vec());
            let id = sim.add_media(bytes, "application/pdf", Some(&format!("domanda_{i}.pdf")));
            let doc = sim.media_message(c, "document", &id, serde_json::json!({"filename": format!("domanda_{i}.pdf"), "caption": "Ecco la domanda firmata"}));
            posts.push(sim.notification(&[c], vec![doc]));
        }
        let start = Instant::now();
        let acks = futures_util::future::join_all(posts.iter().map(|n| sim.post(n))).await;
        anyhow::ensure!(acks.iter().all(|s| *s == 200), "webhooks refused: {acks:?}");
        let mut events = Vec::new();
        for alias in &aliases {
            let ev = loop {
                if let Some(ev) = file_event(&http, &hs, &token, alias).await {
                    break ev;
                }
                anyhow::ensure!(start.elapsed().as_secs() < 600, "the files did not arrive");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            };
            events.push(ev);
        }
        let took = start.elapsed();
        let peak = bridge.peak_rss_mib();
        let cpu = bridge.cpu_time() - idle_cpu;
        let mut whole = 0;
        for (ev, sum) in events.iter().zip(&sums) {
            let mxc = ev["content"]["url"].as_str().unwrap_or_default();
            if sha256_of_mxc(&http, &hs, &token, mxc).await == *sum {
                whole += 1;
            }
        }
        let total = (mb * files) as f64;
        println!("| files at once | each | arrived whole | bridge peak RSS before | bridge peak RSS after | time | bridge CPU |");
        println!("|---|---|---|---|---|---|---|");
        println!(
            "| {files} | {mb} MB | {whole} of {files} | {idle_peak:.1} MiB | {peak:.1} MiB | {:.1} s ({:.0} MB/s) | {:.2} s |",
            took.as_secs_f64(),
            total / took.as_secs_f64(),
            cpu.as_secs_f64(),
        );
        anyhow::ensure!(whole == files, "{} files did not arrive whole", files - whole);
        drop(bridge);
        anyhow::Ok(())
    })
}
