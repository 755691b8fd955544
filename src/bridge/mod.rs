//! The bridge core: owns portals, routes persisted deliveries into one durable, ordered
//! queue per citizen, and runs one worker per citizen with pending work (citizens run
//! concurrently, each citizen's items strictly in order).
//!
//! Layout: `engine` (inbox router, queues and workers, failures and the supervisor, the admin
//! room), `portal` (rooms, ghosts and messages both ways), `news` (subscriptions and
//! broadcasts), `office` (hours, automatic and ready replies), `admin` (commands, permissions,
//! audit, blocks, what is stuck). [`Bridge`] is the engine's handle; each feature has its own
//! (`Portals`, `News`, `Office`, `Admin`), built here from the shared parts and the handles of
//! the features it calls, and reached by the engine only in its dispatch. `templates` (Meta's
//! templates, kept in sync) and `health` serve the others; `helpdesk` keeps each conversation's
//! state; `coexistence` brings in what the office does on the WhatsApp Business app.

mod admin;
mod coexistence;
mod engine;
mod health;
mod helpdesk;
mod news;
mod office;
mod portal;
pub(crate) mod privacy;
mod templates;

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::bridge::admin::{Admin, Features};
use crate::bridge::coexistence::Coexistence;
use crate::bridge::engine::admin_room::AdminRoom;
use crate::bridge::engine::lent::{Lifetime, Parts, Wake};
use crate::bridge::health::Health;
pub use crate::bridge::health::{Part, Readiness};
use crate::bridge::helpdesk::Helpdesk;
use crate::bridge::news::News;
use crate::bridge::office::Office;
use crate::bridge::portal::Portals;
use crate::bridge::privacy::Privacy;
use crate::bridge::templates::Templates;
use crate::config::Config;
use crate::ids::CitizenKey;
use crate::matrix::MatrixClient;
use crate::metrics::Metrics;
use crate::store::{Source, Store, StoreError};
use crate::whatsapp::GraphClient;

/// The bridge's background tasks. Router and sweeper stop at the shutdown signal; a pending
/// admin-room creation is aborted (it is repeated at the next start).
pub struct Tasks {
    pub router: tokio::task::JoinHandle<()>,
    pub sweeper: tokio::task::JoinHandle<()>,
    pub admin_room: tokio::task::JoinHandle<()>,
    pub stall_watch: tokio::task::JoinHandle<()>,
    pub prune: tokio::task::JoinHandle<()>,
    pub health: tokio::task::JoinHandle<()>,
    pub templates: tokio::task::JoinHandle<()>,
    pub reminders: tokio::task::JoinHandle<()>,
    pub history_watch: tokio::task::JoinHandle<()>,
    pub privacy: tokio::task::JoinHandle<()>,
}

impl Tasks {
    /// Every task, to be awaited at shutdown.
    pub fn all(self) -> [tokio::task::JoinHandle<()>; 10] {
        [
            self.router,
            self.sweeper,
            self.admin_room,
            self.stall_watch,
            self.prune,
            self.health,
            self.templates,
            self.reminders,
            self.history_watch,
            self.privacy,
        ]
    }
}

/// The bridge handle: cheap to clone, shared by the HTTP layer and the workers.
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    store: Store,
    matrix: MatrixClient,
    /// Where deliveries are handed to the router's thread, while it takes them
    /// (`engine/intake.rs`).
    intake: Mutex<Option<std::sync::mpsc::Sender<engine::intake::Intake>>>,
    /// Citizens whose worker is running.
    running: Mutex<HashSet<String>>,
    /// The office's texts (language + overrides).
    texts: Arc<crate::texts::Texts>,
    /// Where the time is read (tests pin it).
    clock: crate::clock::SharedClock,
    /// Items processed at once, over every queue (see `engine/pace.rs`).
    busy: tokio::sync::Semaphore,
    /// The shutdown signal, and a share of the completion signal.
    life: Lifetime,
    /// Closes when every handle is gone (taken once, by `stopped`).
    gone: Mutex<Option<tokio::sync::mpsc::Receiver<std::convert::Infallible>>>,
    /// Where the engine's lines for the admins go.
    admin_room: Arc<AdminRoom>,
    /// The features, each with its own handle; the engine reaches them only in its dispatch.
    portals: Arc<Portals>,
    news: News,
    admin: Arc<Admin>,
    health: Arc<Health>,
    templates: Arc<Templates>,
    helpdesk: Arc<Helpdesk>,
    coexistence: Arc<Coexistence>,
    privacy: Arc<Privacy>,
    /// What Prometheus scrapes.
    metrics: Arc<Metrics>,
}

/// The homeserver and Graph API clients, counting their requests in `metrics`.
fn clients(config: &Config, metrics: &Arc<Metrics>) -> (MatrixClient, GraphClient) {
    let raw = &config.raw;
    let matrix = MatrixClient::new(&raw.homeserver.url, &raw.appservice.as_token)
        .with_metrics(metrics.clone());
    let graph = GraphClient::new(
        &raw.whatsapp.api_base_url,
        &raw.whatsapp.api_version,
        &raw.whatsapp.phone_number_id,
        &raw.whatsapp.access_token,
        Duration::from_secs(raw.whatsapp.request_timeout_secs),
    )
    .with_metrics(metrics.clone());
    (matrix, graph)
}

/// The export page's escaping (for its properties).
#[cfg(test)]
pub(crate) fn privacy_render_escape(s: &str) -> String {
    privacy::render::esc(s)
}

/// Every command staff can type, as declared by the features (for the parser's properties).
#[cfg(test)]
pub(crate) fn command_specs() -> &'static [&'static crate::commands::CommandSpec] {
    admin::commands::specs()
}

impl Bridge {
    pub fn new(config: Config, store: Store, shutdown: watch::Receiver<bool>) -> Bridge {
        Bridge::with_clock(config, store, shutdown, Arc::new(crate::clock::SystemClock))
    }

    /// A bridge reading the time from `clock` (tests pin it).
    pub fn with_clock(
        config: Config,
        store: Store,
        shutdown: watch::Receiver<bool>,
        clock: crate::clock::SharedClock,
    ) -> Bridge {
        let config = Arc::new(config);
        let metrics = Arc::new(Metrics::new());
        let (matrix, graph) = clients(&config, &metrics);
        let texts = Arc::new(config.texts());
        let busy = tokio::sync::Semaphore::new(config.raw.bridge.max_busy_workers as usize);
        let (life, gone) = Lifetime::new(shutdown);
        let inner = Arc::new_cyclic(|me| {
            let parts = Parts {
                config: config.clone(),
                store: store.clone(),
                matrix: matrix.clone(),
                graph,
                texts: texts.clone(),
                clock: clock.clone(),
                life: life.clone(),
                wake: Wake::new(me.clone()),
                metrics: metrics.clone(),
            };
            let admin_room = Arc::new(AdminRoom::new(&parts));
            let office = Arc::new(Office::new(&parts));
            let health = Arc::new(Health::new(&parts));
            let templates = Arc::new(Templates::new(&parts));
            let helpdesk = Arc::new(Helpdesk::new(&parts));
            let portals = Arc::new(Portals::new(
                &parts,
                office.clone(),
                templates.clone(),
                helpdesk.clone(),
            ));
            let coexistence = Arc::new(Coexistence::new(&parts, portals.clone()));
            let privacy = Arc::new(Privacy::new(&parts, admin_room.clone(), portals.clone()));
            let news = News::new(
                &parts,
                admin_room.clone(),
                portals.clone(),
                templates.clone(),
            );
            let admin = Arc::new(Admin::new(
                &parts,
                Features {
                    admin_room: admin_room.clone(),
                    portals: portals.clone(),
                    news: news.clone(),
                    office,
                    templates: templates.clone(),
                    helpdesk: helpdesk.clone(),
                    privacy: privacy.clone(),
                },
            ));
            Inner {
                config: config.clone(),
                store,
                matrix,
                intake: Mutex::new(None),
                running: Mutex::new(HashSet::new()),
                texts,
                clock,
                busy,
                life,
                gone: Mutex::new(Some(gone)),
                admin_room,
                portals,
                news,
                admin,
                health,
                templates,
                helpdesk,
                coexistence,
                privacy,
                metrics,
            }
        });
        Bridge { inner }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Unix seconds now, by the bridge's clock.
    fn now_secs(&self) -> u64 {
        self.inner.clock.unix()
    }

    /// A text in the office's language.
    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.inner.texts.get(key, args)
    }

    /// Takes in a raw delivery (webhook body or appservice transaction): routed in a durable
    /// commit by the router's thread, or kept in the inbox when the thread does not take it.
    /// Once this returns Ok, the delivery survives a crash and may be acknowledged.
    pub async fn ingest(&self, source: Source, body: &[u8]) -> Result<u64, StoreError> {
        if let Some(routed) = self.hand_over(source, body).await {
            return routed;
        }
        // No thread to wake: it routes the inbox first when it starts, and one that stopped
        // leaves it for the next start.
        self.inner.store.inbox_push(source, body).await
    }

    /// Starts the router and the workers for work left from a previous run.
    /// Starts the background tasks; `run` waits for them at shutdown.
    pub fn start(&self) -> Tasks {
        match self.inner.store.queue_citizens() {
            Ok(cs) => {
                if !cs.is_empty() {
                    info!(
                        citizens = cs.len(),
                        "resuming queued work from the previous run"
                    );
                }
                for c in cs {
                    self.kick(c);
                }
            }
            Err(e) => error!("cannot read the queues: {e}"),
        }
        self.inner.news.resume_broadcasts();
        let admin_room = self.inner.admin_room.clone();
        let life = self.inner.life.clone();
        let portals = self.inner.portals.clone();
        let b = self.clone();
        let health = self.inner.health.clone();
        let watch = self.clone();
        let templates = self.inner.templates.clone();
        let helpdesk = self.inner.helpdesk.clone();
        let coexistence = self.inner.coexistence.clone();
        let prune = self.clone();
        let privacy = self.inner.privacy.clone();
        Tasks {
            privacy: tokio::spawn(async move { privacy.sweep_forever().await }),
            health: tokio::spawn(async move { health.watch_forever().await }),
            templates: tokio::spawn(async move { templates.sync_forever().await }),
            reminders: tokio::spawn(async move { helpdesk.remind_forever().await }),
            history_watch: tokio::spawn(async move { coexistence.watch_history_forever().await }),
            prune: tokio::spawn(async move { prune.prune_forever().await }),
            stall_watch: tokio::spawn(async move { watch.watch_stalls_forever().await }),
            router: b.start_router(),
            sweeper: tokio::spawn(async move { portals.sweep_windows_forever().await }),
            admin_room: tokio::spawn(async move { admin_room.admin_room_forever(&life).await }),
        }
    }

    /// A consistent copy of the store, as it is now, in a new redb file (`sportello backup`).
    pub fn backup_to(&self, file: &std::path::Path) -> Result<u64, StoreError> {
        self.inner.store.backup_to(file)
    }

    /// The metrics, for the HTTP edge to count deliveries.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The metrics in Prometheus's text format, the store's gauges read just now.
    pub fn metrics_text(&self) -> String {
        self.inner.health.refresh_gauges();
        self.inner.metrics.encode()
    }

    /// Whether the bridge is ready, part by part (for `/_matrix/mau/ready`).
    pub async fn readiness(&self) -> Readiness {
        self.inner.health.readiness().await
    }

    /// Is this user id one of the bridge's ghosts with a portal?
    pub fn is_known_ghost(&self, user_id: &str) -> bool {
        let Some(suffix) = self.ghost_suffix(user_id) else {
            return false;
        };
        if matches!(self.inner.store.citizen_for_ghost(user_id), Ok(Some(_))) {
            return true;
        }
        // With hashed ids a number-shaped id is never a ghost: answering for it would tell
        // whoever asks (by inviting it, say) that the number wrote.
        if self.inner.config.raw.bridge.ghost_ids == crate::config::GhostIds::Hashed {
            return false;
        }
        let Some(key) = CitizenKey::from_ghost_suffix(suffix) else {
            return false;
        };
        matches!(self.inner.store.portal(&key.as_str()), Ok(Some(_)))
            || matches!(
                self.inner.store.citizen_for_identity(&key.as_str()),
                Ok(Some(_))
            )
    }

    fn ghost_suffix<'a>(&self, user_id: &'a str) -> Option<&'a str> {
        let raw = &self.inner.config.raw;
        let (local, server) = user_id.strip_prefix('@')?.split_once(':')?;
        if server != raw.homeserver.server_name {
            return None;
        }
        local.strip_prefix(raw.appservice.ghost_prefix.as_str())
    }

    /// The bot or one of the ghosts: their events are echoes and are ignored.
    pub(in crate::bridge) fn is_own_user(&self, user_id: &str) -> bool {
        user_id == self.inner.config.bot_user_id || self.ghost_suffix(user_id).is_some()
    }

    /// Proves both directions at start-up and says in plain words which one fails.
    pub async fn ping_homeserver(&self) -> Result<u64, String> {
        let raw = &self.inner.config.raw;
        let txn = format!("sportello-startup-{}", self.now_secs());
        match self.inner.matrix.ping(&raw.appservice.id, &txn).await {
            Ok(ms) => {
                info!(
                    round_trip_ms = ms,
                    "homeserver ⇄ bridge: both directions work"
                );
                Ok(ms)
            }
            Err(e) => {
                let msg = explain_ping_failure(&e, raw);
                warn!("{msg}");
                Err(msg)
            }
        }
    }

    /// Sets the bot's display name to the office's name (best effort).
    pub async fn set_bot_profile(&self) {
        let c = &self.inner.config;
        if let Err(e) = self
            .inner
            .matrix
            .set_displayname(&c.bot_user_id, &c.raw.office.name)
            .await
        {
            warn!("could not set the bot's display name: {e}");
        }
    }

    fn shutting_down(&self) -> bool {
        self.inner.life.shutting_down()
    }

    /// Sleeps, returning early (true) if the bridge is shutting down.
    async fn sleep_or_shutdown(&self, d: Duration) -> bool {
        self.inner.life.sleep_or_shutdown(d).await
    }
}

/// The features' handles, for tests that call a feature directly.
#[cfg(test)]
impl Bridge {
    pub(in crate::bridge) fn portals(&self) -> &Portals {
        &self.inner.portals
    }

    pub(in crate::bridge) fn admin(&self) -> &Admin {
        &self.inner.admin
    }

    pub(in crate::bridge) fn health(&self) -> &Health {
        &self.inner.health
    }
}

fn explain_ping_failure(e: &crate::matrix::MatrixError, raw: &crate::config::RawConfig) -> String {
    use crate::matrix::MatrixError;
    match e {
        MatrixError::Unreachable(why) => format!(
            "bridge → homeserver fails: cannot reach {} ({why}). Check homeserver.url and that Synapse runs.",
            raw.homeserver.url
        ),
        MatrixError::Api {
            errcode, message, ..
        } => match errcode.as_str() {
            "M_UNKNOWN_TOKEN" | "M_FORBIDDEN" | "M_MISSING_TOKEN" => format!(
                "bridge → homeserver fails: Synapse does not accept the as_token ({errcode}: {message}). \
                 Is the registration file listed in app_service_config_files, with the same tokens, and was Synapse restarted?"
            ),
            "M_URL_NOT_SET" => "homeserver → bridge fails: the registration has no url.".to_owned(),
            "M_CONNECTION_FAILED" | "M_CONNECTION_TIMEOUT" | "M_BAD_STATUS" => format!(
                "homeserver → bridge fails: Synapse cannot reach the bridge at {} ({errcode}: {message}). \
                 Check appservice.url and appservice.bind, and the hs_token in the registration.",
                raw.appservice.url
            ),
            "M_UNRECOGNIZED" | "M_NOT_FOUND" => format!(
                "the homeserver does not support the appservice ping ({errcode}); cannot check both directions."
            ),
            _ => format!("homeserver ⇄ bridge check failed: {errcode}: {message}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::MatrixError;

    fn raw() -> crate::config::RawConfig {
        crate::config::RawConfig::from_toml(&crate::config::valid_test_toml(), "t", |_| None)
            .unwrap()
    }

    #[test]
    fn ping_failures_name_the_failing_direction() {
        let r = raw();
        let down = explain_ping_failure(&MatrixError::Unreachable("connection refused".into()), &r);
        assert!(
            down.starts_with("bridge → homeserver fails: cannot reach http://127.0.0.1:8008"),
            "{down}"
        );
        let api = |errcode: &str| MatrixError::Api {
            status: 502,
            errcode: errcode.into(),
            message: "x".into(),
        };
        let back = explain_ping_failure(&api("M_CONNECTION_FAILED"), &r);
        assert!(
            back.starts_with("homeserver → bridge fails")
                && back.contains("http://127.0.0.1:29330"),
            "{back}"
        );
        let token = explain_ping_failure(&api("M_UNKNOWN_TOKEN"), &r);
        assert!(
            token.contains("as_token") && token.contains("app_service_config_files"),
            "{token}"
        );
    }
}
