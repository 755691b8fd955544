//! Test support: the stack (real Synapse + simulator + Sportello, from the testkit crate)
//! and a staff member played by a real Matrix client (matrix-sdk).

pub mod broadcast;
pub mod news;
pub mod staff;

use std::time::Duration;

pub use sportello_simulator::{Failure, webhook::Citizen};
pub use sportello_testkit::{Stack, StackOptions};
pub use staff::Staff;

/// How long end-to-end waits may take before a test fails (CI machines are slow).
pub const WAIT: Duration = Duration::from_secs(60);

/// Starts a stack with the default options (staff mario, admin anna, non-staff eve).
pub async fn stack() -> Stack {
    stack_with(StackOptions::default()).await
}

pub async fn stack_with(opts: StackOptions) -> Stack {
    init_logs();
    Stack::start(opts).await.expect("the test stack starts")
}

/// Everything the bridge logged during this test run, for the privacy checks.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

/// Writes each log line to the test's captured output and to [`LOGS`].
struct Tee;

impl std::io::Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(buf);
        eprint!("{}", String::from_utf8_lossy(buf));
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logs() {
    // Debug level for Sportello, so the privacy check covers every line it can write.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("sportello=debug"))
        .with_ansi(false)
        .with_writer(|| Tee)
        .try_init();
}

/// Where a bridge process writes its log; printed when the test that holds it fails, so a
/// failure on CI shows what the child did.
pub struct ChildLog {
    dir: tempfile::TempDir,
}

impl Drop for ChildLog {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(self.dir.path().join("bridge.log"));
            eprintln!(
                "--- the bridge process's log ---\n{}",
                log.unwrap_or_default()
            );
        }
    }
}

/// The bridge as a separate process (to be killed with SIGKILL), on the stack's port and
/// store; the in-process bridge must be stopped first. Returns once it answers /health.
pub async fn bridge_process(stack: &Stack) -> (std::process::Child, ChildLog) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, &stack.config_text).unwrap();
    let log = std::fs::File::create(dir.path().join("bridge.log")).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["run", "-c", cfg.to_str().unwrap()])
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let health = format!("{}/health", stack.bridge_url());
    eventually("the bridge process", || async {
        reqwest::get(&health)
            .await
            .ok()
            .filter(|r| r.status() == 200)
            .map(|_| ())
    })
    .await;
    (child, ChildLog { dir })
}

/// Held by tests that load the machine for many seconds (thousands of sends), so they run
/// one at a time and the other tests keep their pace on small CI machines.
pub async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    HEAVY.lock().await
}

/// Polls `f` until it returns Some, or panics after [`WAIT`] with `what`.
pub async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub const BOT: &str = "@sportello:comune.test";

/// The content of the bot's reply to `event_id`.
pub async fn bot_reply(
    staff: &Staff,
    room: &matrix_sdk::ruma::RoomId,
    event_id: &str,
) -> serde_json::Value {
    let ev = event_id.to_owned();
    eventually("the bot's reply", || async {
        staff.messages(room).await.into_iter().find(|e| {
            e["sender"] == BOT
                && e["content"]["m.relates_to"]["m.in_reply_to"]["event_id"] == ev.as_str()
        })
    })
    .await["content"]
        .clone()
}

/// The portal alias of a citizen: by number, or by business-scoped id when they have none.
pub fn portal_alias(c: &Citizen) -> String {
    use sportello::ids::{Bsuid, CitizenKey};
    let suffix = match (&c.wa_id, &c.user_id) {
        (Some(n), _) => n.clone(),
        (None, Some(u)) => CitizenKey::Bsuid(Bsuid::parse(u).expect("a valid id")).ghost_suffix(),
        (None, None) => panic!("a citizen with a number or an id"),
    };
    format!("#whatsapp_{suffix}:comune.test")
}

/// `citizen` writes `text`; mario logs in, accepts the portal's invite and waits until he
/// sees that message. Returns mario and the portal room.
pub async fn citizen_writes(
    stack: &Stack,
    citizen: &Citizen,
    text: &str,
) -> (Staff, matrix_sdk::ruma::OwnedRoomId) {
    citizen_sends(stack, citizen, stack.sim.text(citizen, text), text).await
}

/// `citizen` sends `message` (a webhook message object, e.g. with its own timestamp) whose
/// text is `text`; as [`citizen_writes`].
pub async fn citizen_sends(
    stack: &Stack,
    citizen: &Citizen,
    message: serde_json::Value,
    text: &str,
) -> (Staff, matrix_sdk::ruma::OwnedRoomId) {
    let sim = &stack.sim;
    let n = sim.notification(&[citizen], vec![message]);
    assert_eq!(sim.post(&n).await, 200);
    let mario = Staff::login(&stack.synapse.url, "mario").await;
    let room = mario.room_for_alias(&portal_alias(citizen)).await;
    mario.accept_invite(&room).await;
    mario
        .wait_for(&room, 1, "the citizen's message", |e| {
            e["content"]["body"] == text
        })
        .await;
    (mario, room)
}
