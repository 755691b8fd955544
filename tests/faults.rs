//! The fault figures' cases at a small size (the `sportello-faults` binary runs them full
//! size): nothing lost, nothing duplicated, every citizen's order kept; every staff answer
//! delivered or explained, none sent twice.

use std::time::Duration;

use sportello_testkit::faults::{Disturbance, Flood, GraphFaults, graph_faults, inbound_flood};

use crate::harness::{StackOptions, heavy, stack_with};

fn small(seed: u64) -> Flood {
    Flood {
        citizens: 8,
        each: 15,
        copies: 3,
        seed,
    }
}

fn assert_clean(f: &sportello_testkit::faults::FloodFigures) {
    assert_eq!(
        (f.arrived, f.lost, f.duplicated, f.out_of_order),
        (f.expected, 0, 0, 0),
        "{f:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_delivered_three_times_arrives_once_in_order() {
    let _heavy = heavy().await;
    let mut stack = stack_with(StackOptions::default()).await;
    let f = inbound_flood(&mut stack, &small(11), Disturbance::Nothing)
        .await
        .unwrap();
    assert_eq!(f.webhooks_posted, 8 * 15 * 3);
    assert_clean(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_survives_synapse_stopped_in_the_middle() {
    let _heavy = heavy().await;
    let mut stack = stack_with(StackOptions {
        retry_max_secs: 2,
        ..Default::default()
    })
    .await;
    let down = Disturbance::SynapseDown(Duration::from_secs(5));
    let f = inbound_flood(&mut stack, &small(12), down).await.unwrap();
    assert_clean(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_survives_the_bridge_killed_twice() {
    let _heavy = heavy().await;
    let mut stack = stack_with(StackOptions::default()).await;
    let kill = Disturbance::BridgeKilled {
        times: 2,
        bridge: Box::new(|config| {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sportello"));
            c.args(["run", "-c"]).arg(config);
            c.stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c
        }),
    };
    let f = inbound_flood(&mut stack, &small(13), kill).await.unwrap();
    assert_clean(&f);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_answers_through_graph_faults_are_delivered_or_explained_never_twice() {
    let _heavy = heavy().await;
    let stack = stack_with(StackOptions {
        request_timeout_secs: 2,
        ..Default::default()
    })
    .await;
    let g = graph_faults(
        &stack,
        &GraphFaults {
            citizens: 4,
            answers: 80,
            percent: 20,
            seed: 7,
        },
    )
    .await
    .unwrap();
    assert_eq!((g.silent, g.sent_twice), (0, 0), "{g:?}");
    assert_eq!(g.delivered + g.explained, g.answers, "{g:?}");
    assert!(
        g.faults > 0,
        "no fault was injected: the test proves nothing"
    );
    assert!(g.explained > 0 && g.delivered > g.answers / 2, "{g:?}");
}
