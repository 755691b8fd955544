//! A flood of new citizens cannot knock Synapse over: room creations follow
//! `bridge.new_portals_per_minute`, as Synapse itself records them, and every message arrives.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Citizen, StackOptions, Staff, heavy, stack_with};

const CITIZENS: usize = 500;
/// Below what Synapse manages here (about 180 portals a minute), so the pace binds.
const PER_MINUTE: usize = 150;

/// A server admin's view of the homeserver (Synapse's admin API).
struct Root {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Root {
    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Rooms created by the bridge's bot other than the space and the admin room:
    /// (room id, creation time in ms as Synapse recorded it).
    async fn portals(&self) -> Vec<(String, u64)> {
        let rooms = self.get("/_synapse/admin/v1/rooms?limit=2000").await;
        let mut out = Vec::new();
        for r in rooms["rooms"].as_array().unwrap() {
            let id = r["room_id"].as_str().unwrap();
            let state = self
                .get(&format!("/_synapse/admin/v1/rooms/{id}/state"))
                .await;
            let events = state["state"].as_array().cloned().unwrap_or_default();
            let is_portal = events.iter().any(|e| e["type"] == "m.space.parent");
            if let (true, Some(create)) = (
                is_portal,
                events.iter().find(|e| e["type"] == "m.room.create"),
            ) {
                out.push((id.to_owned(), create["origin_server_ts"].as_u64().unwrap()));
            }
        }
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_new_citizens_is_paced_and_all_arrive() {
    let _heavy = heavy().await;
    let stack = stack_with(StackOptions {
        new_portals_per_minute: PER_MINUTE as u64,
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    stack
        .synapse
        .register_user("root", "root", true)
        .await
        .unwrap();
    let root = Staff::login(&stack.synapse.url, "root").await;
    let root = Root {
        http: reqwest::Client::new(),
        base: stack.synapse.url.trim_end_matches('/').to_owned(),
        token: root.client.access_token().unwrap(),
    };

    // 500 new numbers in 50 webhooks, all acknowledged at once.
    let citizens: Vec<Citizen> = (0..CITIZENS)
        .map(|i| Citizen::phone(&format!("3934{:08}", 10_000 + i), &format!("Cittadino {i}")))
        .collect();
    let started = Instant::now();
    for chunk in citizens.chunks(10) {
        let refs: Vec<&Citizen> = chunk.iter().collect();
        let msgs = chunk
            .iter()
            .map(|c| {
                let name = c.name.as_deref().unwrap_or_default();
                sim.text(c, &format!("Buongiorno, sono {name}"))
            })
            .collect();
        assert_eq!(sim.post(&sim.notification(&refs, msgs)).await, 200);
    }
    let acknowledged = started.elapsed();

    // Every portal is created, and holds its citizen's message.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        // The portals, the space and the admin room.
        let total = root.get("/_synapse/admin/v1/rooms?limit=1").await["total_rooms"]
            .as_u64()
            .unwrap_or(0) as usize;
        if total >= CITIZENS + 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {total} rooms after 10 minutes"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let created = started.elapsed();
    // The last room may still be in creation (listed before its first state is stored).
    let portals = loop {
        let p = root.portals().await;
        if p.len() >= CITIZENS {
            break p;
        }
        assert!(Instant::now() < deadline, "only {} portals", p.len());
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_eq!(portals.len(), CITIZENS, "one room per citizen");
    let mut arrived = 0;
    for (id, _) in &portals {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let msgs = root
                .get(&format!(
                    "/_synapse/admin/v1/rooms/{id}/messages?dir=b&limit=20"
                ))
                .await;
            let found = msgs["chunk"].as_array().into_iter().flatten().any(|e| {
                e["content"]["body"]
                    .as_str()
                    .is_some_and(|b| b.starts_with("Buongiorno, sono Cittadino"))
            });
            if found {
                arrived += 1;
                break;
            }
            assert!(Instant::now() < deadline, "no message in {id}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    assert_eq!(arrived, CITIZENS);

    // Synapse never saw more room creations in a minute than configured.
    let mut times: Vec<u64> = portals.iter().map(|(_, t)| *t).collect();
    times.sort_unstable();
    let busiest = times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t < start + 60_000)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        busiest <= PER_MINUTE,
        "{busiest} rooms created in one minute"
    );
    let spread = Duration::from_millis(times[CITIZENS - 1] - times[0]);
    eprintln!(
        "flood: {CITIZENS} webhooks acknowledged in {acknowledged:?}; all rooms after {created:?}; \
         busiest minute {busiest} creations; creations spread over {spread:?}"
    );
    // 500 at 150 a minute: the last three hundred and fifty wait for three minutes to pass.
    assert!(
        spread >= Duration::from_secs(3 * 60 - 5),
        "the pace held them back: {spread:?}"
    );
}
