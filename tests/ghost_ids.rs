//! Numbers out of Matrix ids: with `bridge.ghost_ids = "hashed"` a citizen's ghost and portal
//! alias are named by a keyed hash. Staff still see the masked number in the room name; a
//! user of the homeserver outside the office cannot learn, from the room directory, profile
//! lookups or the user directory, whether a number wrote to the office.

use serde_json::{Value, json};

use crate::harness::staff::Staff;
use crate::harness::{Citizen, StackOptions, eventually, stack_with};

const NUMBER: &str = "393331234567";

/// A GET as `token`.
async fn fetch(hs: &str, token: &str, path: &str) -> reqwest::Response {
    let client = reqwest::Client::new();
    let req = client.get(format!("{hs}{path}")).bearer_auth(token);
    req.send().await.unwrap()
}

/// A POST of `body` as `token`.
async fn post(hs: &str, token: &str, path: &str, body: Value) -> reqwest::Response {
    let client = reqwest::Client::new();
    let req = client.post(format!("{hs}{path}")).bearer_auth(token);
    req.json(&body).send().await.unwrap()
}

/// The JSON of a GET (null when not JSON).
async fn get_json(hs: &str, token: &str, path: &str) -> Value {
    fetch(hs, token, path)
        .await
        .json()
        .await
        .unwrap_or(Value::Null)
}

async fn get(hs: &str, token: &str, path: &str) -> u16 {
    fetch(hs, token, path).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_outside_the_office_cannot_tell_whether_a_number_wrote() {
    let mut stack = stack_with(StackOptions {
        hashed_ids: true,
        ..Default::default()
    })
    .await;
    let sim = &stack.sim;
    let anna = Citizen::phone(NUMBER, "Anna Rossi");
    let n = sim.notification(
        &[&anna],
        vec![sim.text(&anna, "Buongiorno, è aperto l'URP?")],
    );
    assert_eq!(sim.post(&n).await, 200);

    // Staff find the room by its invite, named as before.
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = eventually("the portal's invite", || async {
        mario.portals_offered().await.into_iter().next()
    })
    .await;
    mario.accept_invite(&room).await;
    let msgs = mario
        .wait_for(&room, 1, "Anna's message", |e| {
            e["content"]["body"] == "Buongiorno, è aperto l'URP?"
        })
        .await;
    let ghost = msgs[0]["sender"].as_str().unwrap().to_owned();
    let local = ghost.trim_start_matches('@').split(':').next().unwrap();
    assert!(
        local.starts_with("whatsapp_h") && local.len() == "whatsapp_h".len() + 20,
        "{ghost}"
    );
    assert!(
        !ghost.contains("4567") && !ghost.contains("3331234"),
        "{ghost}"
    );
    let name = mario.state(room.as_str(), "m.room.name", "").await.unwrap();
    assert_eq!(name["name"], "🔴 New · Anna Rossi (+39•••4567)");
    let alias = mario
        .state(room.as_str(), "m.room.canonical_alias", "")
        .await;
    if let Some(a) = alias.and_then(|a| a["alias"].as_str().map(str::to_owned)) {
        assert!(!a.contains("4567"), "{a}");
    }

    // Eve, a user of the homeserver outside the office, tries every lookup.
    let eve = Staff::login(&stack.synapse.url, "eve").await;
    let token = eve.client.access_token().unwrap();
    let hs = stack.synapse.url.clone();
    let alias = format!("/_matrix/client/v3/directory/room/%23whatsapp_{NUMBER}%3Acomune.test");
    assert_eq!(get(&hs, &token, &alias).await, 404, "the number's alias");
    let profile = format!("/_matrix/client/v3/profile/@whatsapp_{NUMBER}:comune.test");
    assert_eq!(get(&hs, &token, &profile).await, 404, "the number's ghost");
    for term in ["Anna", "4567", "whatsapp"] {
        let search = json!({"search_term": term});
        let r = post(
            &hs,
            &token,
            "/_matrix/client/v3/user_directory/search",
            search,
        )
        .await;
        let found: Value = r.json().await.unwrap();
        let results = &found["results"];
        assert_eq!(results, &json!([]), "the user directory for {term:?}");
    }
    // Inviting the number's would-be ghost to a room of hers goes just as for a number that
    // never wrote: the answer tells them apart in no way.
    let invite_status = |user: String| {
        let (hs, token) = (hs.clone(), token.clone());
        async move {
            let r = post(&hs, &token, "/_matrix/client/v3/createRoom", json!({})).await;
            let room: Value = r.json().await.unwrap();
            let room = room["room_id"].as_str().unwrap().replace('!', "%21");
            let path = format!("/_matrix/client/v3/rooms/{room}/invite");
            let r = post(&hs, &token, &path, json!({"user_id": user})).await;
            r.status().as_u16()
        }
    };
    let wrote = invite_status(format!("@whatsapp_{NUMBER}:comune.test")).await;
    let never = invite_status("@whatsapp_393330000000:comune.test".to_owned()).await;
    assert_eq!(wrote, never, "an invite tells them apart");
    // The ghost's own profile is the office's business: its name says nothing of the number
    // beyond the masked form staff see.
    let path = format!("/_matrix/client/v3/profile/{}", ghost.replace('@', "%40"));
    let profile = get_json(&hs, &token, &path).await;
    assert!(!profile.to_string().contains("3331234567"), "{profile}");

    // After a restart the same citizen keeps the same ghost and room (the key is kept).
    stack.stop_bridge().await;
    stack.start_bridge().await.unwrap();
    let sim = &stack.sim;
    let n = sim.notification(&[&anna], vec![sim.text(&anna, "Ci sono ancora?")]);
    assert_eq!(sim.post(&n).await, 200);
    let again = mario
        .wait_for(&room, 1, "her second message", |e| {
            e["content"]["body"] == "Ci sono ancora?"
        })
        .await;
    assert_eq!(again[0]["sender"], ghost.as_str());
}

/// An install made with number ids moves with `!migrate-ids`: the room, its name and its
/// history stay; the number's alias and ghost are gone from the homeserver's lookups; the
/// citizen's next message comes from the hashed ghost in the same room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_ids_moves_an_existing_install() {
    let mut stack = crate::harness::stack().await;
    let anna = Citizen::phone(NUMBER, "Anna Rossi");
    let (mario, room) = crate::harness::citizen_writes(&stack, &anna, "Buongiorno").await;
    let old_ghost = format!("@whatsapp_{NUMBER}:comune.test");
    let admin = crate::harness::news::Admin::join(&stack, "anna").await;
    let refused = admin.say("!migrate-ids").await;
    assert!(
        refused.starts_with("Set bridge.ghost_ids = \"hashed\""),
        "{refused}"
    );

    stack.stop_bridge().await;
    stack.config.raw.bridge.ghost_ids = sportello::config::GhostIds::Hashed;
    stack.start_bridge().await.unwrap();
    let said = admin.say("!migrate-ids").await;
    assert!(said.starts_with("Moving 1 citizens"), "{said}");
    eventually("the old ghost gone from the room", || async {
        let m = mario
            .state(room.as_str(), "m.room.member", &old_ghost)
            .await?;
        (m["membership"] == "leave").then_some(())
    })
    .await;
    let name = mario.state(room.as_str(), "m.room.name", "").await.unwrap();
    assert_eq!(
        name["name"], "🔴 New · Anna Rossi (+39•••4567)",
        "the room keeps its name"
    );

    let eve = Staff::login(&stack.synapse.url, "eve").await;
    let token = eve.client.access_token().unwrap();
    let hs = stack.synapse.url.clone();
    let alias = format!("/_matrix/client/v3/directory/room/%23whatsapp_{NUMBER}%3Acomune.test");
    assert_eq!(get(&hs, &token, &alias).await, 404, "the number's alias");
    let path = format!("/_matrix/client/v3/profile/{old_ghost}");
    let profile = get_json(&hs, &token, &path).await;
    assert!(
        profile.get("displayname").is_none(),
        "the old ghost's profile: {profile}"
    );

    // Anna writes again: same room, the hashed ghost.
    let sim = &stack.sim;
    let n = sim.notification(&[&anna], vec![sim.text(&anna, "Grazie, è chiaro")]);
    assert_eq!(sim.post(&n).await, 200);
    let again = mario
        .wait_for(&room, 1, "her next message", |e| {
            e["content"]["body"] == "Grazie, è chiaro"
        })
        .await;
    let sender = again[0]["sender"].as_str().unwrap();
    assert!(
        sender.starts_with("@whatsapp_h") && !sender.contains("4567"),
        "{sender}"
    );
    // Asked again, nothing is left to move.
    assert_eq!(
        admin.say("!migrate-ids").await,
        "No citizen to move: every ghost already has a hashed id."
    );
}
