//! The router against a store: statuses in one batch, deliveries routed again after a restart.

use serde_json::json;

use super::*;
use crate::bridge::engine::give_up::tests::{ANNA, bridge};

/// A citizen's text as Meta delivers it.
pub(in crate::bridge) fn text_webhook(pnid: &str, wamid: &str, body: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "390000000000", "phone_number_id": pnid},
            "contacts": [{"profile": {"name": "Anna"}, "wa_id": "393331234567"}],
            "messages": [{"from": "393331234567", "id": wamid, "timestamp": "1796170000",
                "type": "text", "text": {"body": body}}]}}]}]})
    .to_string()
    .into_bytes()
}

/// The router's commit is a soon one: a crash may lose it after the work it queued ran,
/// and the delivery, still in the inbox, is routed again. So what a delivery stored before
/// the store was opened queues is looked for before it is repeated; what a delivery
/// received since queues is not.
#[tokio::test]
async fn work_from_a_delivery_stored_before_opening_may_have_run() {
    let dir = tempfile::tempdir().unwrap();
    let (bridge, _) = bridge();
    let pnid = bridge.config().raw.whatsapp.phone_number_id.clone();
    let text = |wamid: &str, body: &str| text_webhook(&pnid, wamid, body);
    {
        let before = Store::open(dir.path()).unwrap();
        let body = text("wamid.PRIMA", "Buongiorno, è aperto l'ufficio? 😊");
        before.inbox_push(Source::WhatsApp, &body).await.unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let (_, rx) = tokio::sync::watch::channel(true);
    let bridge = Bridge::new(bridge.config().clone(), store.clone(), rx);
    let after = text("wamid.DOPO", "**È** aperto sabato?");
    bridge.ingest(Source::WhatsApp, &after).await.unwrap();
    bridge.route_pending().unwrap();
    assert!(store.inbox_pending(10).unwrap().is_empty());
    let first = store.queue_head(ANNA).unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first.body).contains("wamid.PRIMA"));
    assert!(
        store.may_have_run_before(&first),
        "routed again after a restart"
    );
    store.commit(vec![Store::queue_done_op(&first)]).unwrap();
    let second = store.queue_head(ANNA).unwrap().unwrap();
    assert!(String::from_utf8_lossy(&second.body).contains("wamid.DOPO"));
    assert!(
        !store.may_have_run_before(&second),
        "received by this process"
    );
}

/// A `delivered` with Meta's pricing and a `read` without it, in one webhook: the stored
/// status is `read`, and keeps what Meta charges.
#[tokio::test]
async fn a_status_keeps_the_pricing_of_an_earlier_one_in_the_same_batch() {
    let (bridge, store) = bridge();
    let status = |s: &str, pricing: Option<serde_json::Value>| {
        let mut v = json!({"id": "wamid.P", "status": s, "timestamp": "1796170000",
            "recipient_id": "393331234567"});
        if let Some(p) = pricing {
            v["pricing"] = p;
        }
        v
    };
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [
            status("delivered", Some(json!({"billable": true, "pricing_model": "PMP",
                "type": "regular", "category": "utility"}))),
            status("read", None)]}}]}]});
    let pnid = &bridge.config().raw.whatsapp.phone_number_id;
    let mut r = Routed::default();
    for u in webhook::parse(body.to_string().as_bytes(), pnid).unwrap() {
        let Update::Status(s) = u else {
            panic!("{u:?}")
        };
        bridge.route_status(&mut r, s).unwrap();
    }
    store.commit(r.ops).unwrap();
    let record = store.status_record("wamid.P").unwrap().unwrap();
    assert_eq!(record.status, "read");
    assert_eq!(
        record.pricing,
        Some(crate::store::Priced {
            kind: "regular".into(),
            category: "utility".into()
        })
    );
}
