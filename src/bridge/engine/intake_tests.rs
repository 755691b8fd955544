//! The router's thread against a redb store: a delivery handed over is queued and durable
//! when it is acknowledged, after what waited in the inbox; one that cannot be routed now
//! is kept in the inbox, and so is every later one until it can; at shutdown what was
//! handed over is routed and later deliveries go to the inbox.

use std::time::Duration;

use crate::bridge::Bridge;
use crate::bridge::engine::give_up::tests::ANNA;
use crate::bridge::engine::router::tests::text_webhook;
use crate::config::valid_test_config;
use crate::store::durability::tests::{CHILD, after_a_child_crashed_in};
use crate::store::{Source, Store};

/// A bridge on `store` (its router's thread not started yet), and what stops it.
fn running(store: &Store) -> (Bridge, tokio::sync::watch::Sender<bool>) {
    let (stop, rx) = tokio::sync::watch::channel(false);
    (Bridge::new(valid_test_config(), store.clone(), rx), stop)
}

/// A bridge on a redb store, its router's thread started: the store's directory, the store,
/// the bridge, what stops it, and the thread.
struct Started {
    _dir: tempfile::TempDir,
    store: Store,
    b: Bridge,
    stop: tokio::sync::watch::Sender<bool>,
    router: tokio::task::JoinHandle<()>,
}

fn started() -> Started {
    started_in(tempfile::tempdir().unwrap())
}

/// [`started`] on the store already in `dir`.
fn started_in(dir: tempfile::TempDir) -> Started {
    let store = Store::open(dir.path()).unwrap();
    let (b, stop) = running(&store);
    let router = b.start_router();
    Started {
        _dir: dir,
        store,
        b,
        stop,
        router,
    }
}

impl Started {
    fn text(&self, wamid: &str, body: &str) -> Vec<u8> {
        text_webhook(&self.b.config().raw.whatsapp.phone_number_id, wamid, body)
    }

    /// The inbox's sequence numbers.
    fn kept(&self) -> Vec<u64> {
        let pending = self.store.inbox_pending(10).unwrap();
        pending.iter().map(|e| e.seq).collect()
    }

    async fn stop(&mut self) {
        self.stop.send(true).unwrap();
        (&mut self.router).await.unwrap();
    }
}

/// Anna's queue, each item's body as text, oldest first.
fn queued(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(item) = store.queue_head(ANNA).unwrap() {
        out.push(String::from_utf8_lossy(&item.body).into_owned());
        store.commit(vec![Store::queue_done_op(&item)]).unwrap();
    }
    out
}

fn wamids(items: &[String]) -> Vec<&str> {
    items
        .iter()
        .map(|b| {
            let at = b.find("wamid.").expect("a citizen's message");
            let end = b[at..].find('"').unwrap();
            &b[at..at + end]
        })
        .collect()
}

/// Acknowledged means routed and durable: the child hands a delivery over, then aborts at
/// once (no flush, and the flusher an hour away); what it queued is there after the crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_handed_over_is_queued_and_durable_when_acknowledged() {
    if let Some(dir) = std::env::var_os(CHILD) {
        let store = Store::open_with(std::path::Path::new(&dir), Duration::from_secs(3600));
        let store = store.unwrap();
        let (b, _stop) = running(&store);
        let _router = b.start_router();
        let pnid = b.config().raw.whatsapp.phone_number_id.clone();
        let body = text_webhook(&pnid, "wamid.SUBITO", "Buongiorno, l'ufficio è aperto? 😊");
        b.ingest(Source::WhatsApp, &body).await.unwrap();
        std::process::abort();
    }
    let (_dir, store) = after_a_child_crashed_in(
        "bridge::engine::intake::tests::a_delivery_handed_over_is_queued_and_durable_when_acknowledged",
    );
    assert!(
        store.inbox_pending(10).unwrap().is_empty(),
        "never in the inbox"
    );
    let items = queued(&store);
    assert_eq!(wamids(&items), ["wamid.SUBITO"]);
    assert!(items[0].contains("l'ufficio è aperto? 😊"));
}

/// A delivery left in the inbox by an earlier run (the thread's first turn, at its start)
/// is routed before one handed over after the start, and only it may have run before.
/// (Within a turn the inbox goes first too: the in-order test below.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_is_routed_before_what_is_handed_over() {
    let dir = tempfile::tempdir().unwrap();
    let pnid = valid_test_config().raw.whatsapp.phone_number_id;
    {
        let before = Store::open(dir.path()).unwrap();
        let body = text_webhook(&pnid, "wamid.PRIMA", "È aperto sabato?");
        before.inbox_push(Source::WhatsApp, &body).await.unwrap();
    }
    let mut s = started_in(dir);
    let after = s.text("wamid.DOPO", "**È** aperto anche domenica?");
    s.b.ingest(Source::WhatsApp, &after).await.unwrap();
    assert!(s.kept().is_empty());
    let first = s.store.queue_head(ANNA).unwrap().unwrap();
    assert!(
        s.store.may_have_run_before(&first),
        "routed again after a restart"
    );
    let items = queued(&s.store);
    assert_eq!(wamids(&items), ["wamid.PRIMA", "wamid.DOPO"]);
    s.stop().await;
}

/// A delivery that cannot be routed now (a store error) is acknowledged from the inbox, and
/// so is the next one, behind it; once the store allows, both are routed in their order,
/// before a third.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_be_routed_now_waits_in_the_inbox_in_order() {
    let mut s = started();
    crate::failpoint::arm("router.store", "wamid.FERMO");
    let stuck = s.text("wamid.FERMO", "C'è un guasto in via Roma");
    let first = s.b.ingest(Source::WhatsApp, &stuck).await.unwrap();
    let thanks = s.text("wamid.DOPO", "Grazie 🙏");
    let second = s.b.ingest(Source::WhatsApp, &thanks).await.unwrap();
    assert_eq!(s.kept(), [first, second]);
    assert!(s.store.queue_head(ANNA).unwrap().is_none());
    crate::failpoint::disarm("router.store", "wamid.FERMO");
    let third = s.text("wamid.TERZO", "A che ora apre l'ufficio?");
    s.b.ingest(Source::WhatsApp, &third).await.unwrap();
    assert!(s.kept().is_empty());
    let items = queued(&s.store);
    assert_eq!(wamids(&items), ["wamid.FERMO", "wamid.DOPO", "wamid.TERZO"]);
    s.stop().await;
}

/// After the shutdown signal the thread ends, and a delivery is kept in the inbox for the
/// next start instead of being refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_router_stops_a_delivery_is_kept_in_the_inbox() {
    let mut s = started();
    let before = s.text("wamid.PRIMA", "Buonasera, è tutto chiuso?");
    s.b.ingest(Source::WhatsApp, &before).await.unwrap();
    s.stop().await;
    let late = s.text("wamid.TARDI", "Ci vediamo lunedì");
    let seq = s.b.ingest(Source::WhatsApp, &late).await.unwrap();
    assert_eq!(s.kept(), [seq]);
    assert_eq!(wamids(&queued(&s.store)), ["wamid.PRIMA"]);
}
