//! Helpers for the broadcast tests: the news configuration, thousands of subscribers seeded
//! straight into the store (inside or outside the window, blocked, stopped, other topics),
//! the sends the simulator accepted, the pace measured from its clock, and the report.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sportello::ids::CitizenKey;
use sportello::store::{BlockRecord, PortalRecord, Store, Subscription, now_secs};

use super::news::{Admin, seed};
use super::{BOT, Stack, StackOptions, eventually, stack_with};

pub fn news_toml(mps: u32, resolve_secs: u64) -> String {
    news_toml_with(mps, resolve_secs, "")
}

pub fn news_toml_with(mps: u32, resolve_secs: u64, broadcast_extra: &str) -> String {
    format!(
        r#"
[templates.notizie]
name = "notizie_comune"
language = "it"
params = 1
description = "Notizie dal Comune: {{{{1}}}}"

[broadcast]
messages_per_second = {mps}
template = "notizie"
progress_every_secs = 1
resolve_wait_secs = {resolve_secs}
{broadcast_extra}
"#
    )
}

pub fn number(i: usize) -> String {
    format!("39320{i:07}")
}

pub fn key(i: usize) -> String {
    format!("p:{}", number(i))
}

/// What a seeded citizen is like.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Inside,
    Outside,
    Blocked,
    Stopped,
    OtherTopic,
}

pub fn seed_ops(kinds: &[Kind]) -> Vec<sportello::store::Op> {
    let mut ops = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let topic = if *kind == Kind::OtherTopic {
            "bandi"
        } else {
            "eventi"
        };
        let sub = Subscription {
            topics: vec![topic.into()],
            marketing_stopped: *kind == Kind::Stopped,
            policies_sent: None,
        };
        ops.extend(Store::subscription_ops(&key(i), None, &sub));
        if *kind == Kind::Inside {
            let ghost = format!("@whatsapp_{}:comune.test", number(i));
            ops.extend(Store::portal_ops(&PortalRecord {
                phone: Some(number(i)),
                last_inbound_at: Some(now_secs() as i64 - 3600),
                ..PortalRecord::new(
                    &CitizenKey::parse(&key(i)).expect("a citizen key"),
                    &format!("!seeded{i}:comune.test"),
                    &ghost,
                )
            }));
        }
        if *kind == Kind::Blocked {
            ops.push(Store::block_op(
                &key(i),
                &BlockRecord {
                    reason: "seeded".into(),
                    by: "@anna:comune.test".into(),
                    at: now_secs(),
                    meta: String::new(),
                },
            ));
        }
    }
    ops
}

/// The broadcast sends the simulator accepted: recipient → the request bodies.
pub fn broadcast_sends(stack: &Stack, id: u64) -> BTreeMap<String, Vec<Value>> {
    let prefix = format!("sportello-bc-{id}-");
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for r in stack.sim.accepted() {
        if r.body["biz_opaque_callback_data"]
            .as_str()
            .is_some_and(|t| t.starts_with(&prefix))
        {
            out.entry(r.body["to"].as_str().unwrap().to_owned())
                .or_default()
                .push(r.body);
        }
    }
    out
}

/// The most requests the simulator received in any one-second window.
pub fn peak_per_second(times: &[SystemTime]) -> usize {
    let mut t: Vec<SystemTime> = times.to_vec();
    t.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..t.len() {
        while t[end].duration_since(t[start]).unwrap() >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

pub async fn report(admin: &Admin, id: u64, containing: &str) -> String {
    bot_notice(admin, &format!("📢 Report of broadcast #{id}"), containing).await
}

/// The latest version (edits followed) of the bot's notice that starts with `head`, once it
/// contains `containing`.
pub async fn bot_notice(admin: &Admin, head: &str, containing: &str) -> String {
    eventually(containing, || async {
        admin
            .staff
            .messages(&admin.room)
            .await
            .into_iter()
            .filter(|e| e["sender"] == BOT)
            .filter_map(|e| {
                let c = &e["content"];
                let body = c["m.new_content"]["body"].as_str().or(c["body"].as_str())?;
                Some(body.to_owned())
            })
            .rfind(|b| b.starts_with(head))
            .filter(|b| b.contains(containing))
    })
    .await
}

/// Seeds `n` outside-window subscribers of eventi and drafts a broadcast to them.
pub async fn seeded(n: usize, mps: u32, resolve: u64) -> (Stack, Admin) {
    seeded_with(
        n,
        StackOptions {
            extra_toml: news_toml(mps, resolve),
            ..Default::default()
        },
    )
    .await
}

pub async fn seeded_with(n: usize, opts: StackOptions) -> (Stack, Admin) {
    let mut stack = stack_with(opts).await;
    let kinds = vec![Kind::Outside; n];
    seed(&mut stack, |_| seed_ops(&kinds)).await;
    let admin = Admin::join(&stack, "anna").await;
    let draft = admin
        .say("broadcast eventi Consiglio comunale stasera alle 21")
        .await;
    assert!(draft.contains(&format!("Recipients now: {n}")), "{draft}");
    (stack, admin)
}

pub fn assert_exactly_once(stack: &Stack, n: usize) {
    let sends = broadcast_sends(stack, 1);
    let expected: BTreeSet<String> = (0..n).map(number).collect();
    assert_eq!(sends.keys().cloned().collect::<BTreeSet<_>>(), expected);
    let twice: Vec<&String> = sends
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| k)
        .collect();
    assert!(twice.is_empty(), "received twice: {twice:?}");
}
