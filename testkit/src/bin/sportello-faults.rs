//! Fault figures (the README's table): floods and failures against a real Synapse, the Cloud
//! API simulator and the bridge, counting what arrives.
//!
//!     cargo run --release -p sportello-testkit --bin sportello-faults -- [CITIZENS] [EACH] [ANSWERS] [CASES…]
//!
//! CASES: any of `flood`, `synapse`, `kill`, `graph` (all when none is named).
//!
//! Defaults: 100 citizens × 100 messages (10,000, each webhook delivered 3 times), and 1,000
//! staff answers with 20 % of the Graph API sends failing. The cases:
//! 1. the flood alone; 2. Synapse stopped for 60 s in the middle of it; 3. the bridge
//!    SIGKILLed twice during it (this binary runs the bridge as a child: `serve CONFIG`);
//! 4. staff answers while the Graph API answers 500, 429, a reset connection or a timeout.
//!
//! The disk-full case is the test `a_full_disk_refuses_webhooks_and_the_bridge_recovers_when_it_clears`.

use std::time::Duration;

use sportello_testkit::faults::{
    Disturbance, Flood, FloodFigures, GraphFaults, graph_faults, inbound_flood,
};
use sportello_testkit::{Stack, StackOptions};

fn row(case: &str, f: &FloodFigures) {
    println!(
        "| {case} | {} | {} | {} | {} | {} | {} | {:.1} s | {:.1} s |",
        f.expected,
        f.webhooks_posted,
        f.arrived,
        f.lost,
        f.duplicated,
        f.out_of_order,
        f.acknowledged_in.as_secs_f64(),
        f.bridged_in.as_secs_f64()
    );
}

async fn stack() -> anyhow::Result<Stack> {
    Stack::start(StackOptions {
        retry_max_secs: 5,
        request_timeout_secs: 3,
        ..Default::default()
    })
    .await
}

fn main() -> anyhow::Result<()> {
    if let Some(served) = sportello_testkit::child::serve_if_asked() {
        // The bridge itself, as the child the kill case SIGKILLs.
        return served;
    }
    let args: Vec<String> = std::env::args().collect();
    sportello_testkit::measure::bench_logs();
    let n: Vec<usize> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (citizens, each, answers) = (
        *n.first().unwrap_or(&100),
        *n.get(1).unwrap_or(&100),
        *n.get(2).unwrap_or(&1000),
    );
    let named: Vec<&str> = args
        .iter()
        .skip(1)
        .map(String::as_str)
        .filter(|a| a.parse::<usize>().is_err())
        .collect();
    let run = |case: &str| named.is_empty() || named.contains(&case);
    let flood = |seed| Flood {
        citizens,
        each,
        copies: 3,
        seed,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        println!(
            "| case | messages | webhooks | arrived | lost | duplicated | citizens out of order | all acknowledged | all in Synapse |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
        if run("flood") {
            let mut s = stack().await?;
            row("flood", &inbound_flood(&mut s, &flood(1), Disturbance::Nothing).await?);
        }
        if run("synapse") {
            let mut s = stack().await?;
            let down = Disturbance::SynapseDown(Duration::from_secs(60));
            row("Synapse down 60 s", &inbound_flood(&mut s, &flood(2), down).await?);
        }
        if !run("kill") && !run("graph") {
            return anyhow::Ok(());
        }
            let kill = Disturbance::BridgeKilled {
            times: 2,
            bridge: Box::new(|config| {
                sportello_testkit::child::own_bridge_command(config, None).expect("this binary")
            }),
        };
        if run("kill") {
            let mut s = stack().await?;
            row("bridge SIGKILLed twice", &inbound_flood(&mut s, &flood(3), kill).await?);
        }
        if !run("graph") {
            return anyhow::Ok(());
        }
        let s = stack().await?;
        let g = graph_faults(
            &s,
            &GraphFaults {
                citizens: 10,
                answers,
                percent: 20,
                seed: 4,
            },
        )
        .await?;
        println!();
        println!(
            "| staff answers | Graph faults injected | delivered once | explained in the room | neither | sent twice | took |"
        );
        println!("|---|---|---|---|---|---|---|");
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} s |",
            g.answers,
            g.faults,
            g.delivered,
            g.explained,
            g.silent,
            g.sent_twice,
            g.took.as_secs_f64()
        );
        anyhow::Ok(())
    })
}
