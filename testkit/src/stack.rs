//! The whole stack for tests and the demo: a real Synapse, the Cloud API simulator, and
//! Sportello running in-process on a loopback port, configured through its real config
//! parser and registered through its own registration file.

use std::path::PathBuf;

use anyhow::Context;
use sportello::config::{Config, RawConfig};
use sportello_simulator::{SimConfig, Simulator};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::synapse::{Synapse, free_port};

pub const SERVER_NAME: &str = "comune.test";

#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Usernames registered on Synapse and listed in office.staff (password = username).
    pub staff: Vec<String>,
    /// Usernames listed in office.admins.
    pub admins: Vec<String>,
    /// Usernames registered but not staff.
    pub others: Vec<String>,
    /// office.admin_power_level (0: only office.admins run admin commands).
    pub admin_power_level: i64,
    /// The body of `[autoreply]` (default `enabled = false`: tests about other things do not
    /// see welcomes and out-of-hours notices).
    pub autoreply: String,
    /// bridge.signature
    pub signature: String,
    pub retry_max_secs: u64,
    pub request_timeout_secs: u64,
    /// bridge.mark_read
    pub mark_read: bool,
    /// office.language ("en" in tests, so assertions read plainly; the product default is "it").
    pub language: String,
    /// More TOML appended to the generated config (e.g. `[templates.x]` tables).
    pub extra_toml: String,
    /// Keep Synapse's data here instead of a temporary directory (the demo).
    pub data_dir: Option<PathBuf>,
    /// Synapse's max_upload_size.
    pub max_upload_size: String,
    /// bridge.new_portals_per_minute (high by default: tests about other things are not paced).
    pub new_portals_per_minute: u64,
    /// Sets whatsapp.business_account_id to the simulator's: the bridge reads the templates
    /// from it.
    pub templates_from_meta: bool,
    /// Templates the simulated account holds before the bridge starts.
    pub account_templates: Vec<sportello_simulator::templates::ApprovedTemplate>,
    /// bridge.ghost_ids = "hashed" (else "number", the form existing installs have).
    pub hashed_ids: bool,
    /// The clock the bridge reads (none: the system's); tests pin and move it.
    pub clock: Option<std::sync::Arc<sportello::clock::FixedClock>>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            staff: vec!["mario".into()],
            admins: vec!["anna".into()],
            others: vec!["eve".into()],
            admin_power_level: 0,
            autoreply: "enabled = false".into(),
            signature: "none".into(),
            retry_max_secs: 2,
            request_timeout_secs: 5,
            mark_read: true,
            extra_toml: String::new(),
            language: "en".into(),
            data_dir: None,
            max_upload_size: "100M".into(),
            new_portals_per_minute: 10_000,
            templates_from_meta: false,
            account_templates: vec![],
            clock: None,
            hashed_ids: false,
        }
    }
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), sportello::RunError>>,
}

pub struct Stack {
    pub synapse: Synapse,
    pub sim: Simulator,
    pub config: Config,
    /// The config file's text (for running the `sportello` binary against this stack).
    pub config_text: String,
    /// The bridge's port (appservice API and webhook).
    pub port: u16,
    running: Option<Running>,
    clock: Option<std::sync::Arc<sportello::clock::FixedClock>>,
    _store: tempfile::TempDir,
}

impl Stack {
    pub async fn start(opts: StackOptions) -> anyhow::Result<Stack> {
        let sim = Simulator::start(SimConfig::default()).await?;
        for t in &opts.account_templates {
            sim.approve_template(t.clone());
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let hs_port = free_port();
        let store = tempfile::Builder::new()
            .prefix("sportello-store-")
            .tempdir()?;
        let users = |names: &[String]| {
            names
                .iter()
                .map(|n| format!("\"@{n}:{SERVER_NAME}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let sc = sim.config();
        let text = format!(
            r#"
[homeserver]
url = "http://127.0.0.1:{hs_port}"
server_name = "{SERVER_NAME}"
[appservice]
id = "sportello"
bind = "127.0.0.1:{port}"
url = "http://127.0.0.1:{port}"
as_token = "{as_token}"
hs_token = "{hs_token}"
bot_localpart = "sportello"
ghost_prefix = "whatsapp_"
[whatsapp]
api_base_url = "{graph}"
api_version = "v23.0"
phone_number_id = "{pnid}"
access_token = "{token}"
app_secret = "{secret}"
verify_token = "verify-me"
webhook_path = "/whatsapp/webhook"
request_timeout_secs = {timeout}
{waba}
[office]
name = "URP Comune di Prova"
language = "{language}"
staff = [{staff}]
admins = [{admins}]
admin_power_level = {admin_pl}
[bridge]
ghost_ids = "{ghost_ids}"
signature = "{signature}"
retry_max_secs = {retry}
mark_read = {mark_read}
new_portals_per_minute = {portals_per_minute}
[autoreply]
{autoreply}
[store]
path = "{store}"
"#,
            as_token = sportello::config::random_token(),
            hs_token = sportello::config::random_token(),
            graph = sim.base_url(),
            pnid = sc.phone_number_id,
            token = sc.access_token,
            secret = sc.app_secret,
            timeout = opts.request_timeout_secs,
            waba = if opts.templates_from_meta {
                format!("business_account_id = \"{}\"", sc.waba_id)
            } else {
                String::new()
            },
            staff = users(&opts.staff),
            admins = users(&opts.admins),
            admin_pl = opts.admin_power_level,
            autoreply = opts.autoreply,
            signature = opts.signature,
            ghost_ids = if opts.hashed_ids { "hashed" } else { "number" },
            retry = opts.retry_max_secs,
            mark_read = opts.mark_read,
            portals_per_minute = opts.new_portals_per_minute,
            language = opts.language,
            store = store.path().display(),
        );
        let text = format!("{text}\n{}\n", opts.extra_toml);
        let config = RawConfig::from_toml(&text, "test config", |_| None)?.validate()?;
        let registration = sportello::registration::render(&config);
        let data_dir = opts.data_dir.clone();
        let max_upload = opts.max_upload_size.clone();
        let synapse = tokio::task::spawn_blocking(move || {
            Synapse::start(SERVER_NAME, hs_port, &[registration], data_dir, &max_upload)
        })
        .await
        .context("synapse start panicked")??;
        for u in opts.staff.iter().chain(&opts.admins).chain(&opts.others) {
            synapse.register_user(u, u, false).await?;
        }
        sim.set_webhook_url(format!(
            "http://127.0.0.1:{port}{}",
            config.raw.whatsapp.webhook_path
        ));
        let mut stack = Stack {
            synapse,
            sim,
            config,
            config_text: text,
            port,
            running: None,
            clock: opts.clock.clone(),
            _store: store,
        };
        stack.run_bridge(listener);
        Ok(stack)
    }

    fn run_bridge(&mut self, listener: TcpListener) {
        let (stop, rx) = oneshot::channel::<()>();
        let config = self.config.clone();
        let clock: sportello::clock::SharedClock = match &self.clock {
            Some(c) => c.clone(),
            None => std::sync::Arc::new(sportello::clock::SystemClock),
        };
        let task = tokio::spawn(sportello::run_with_clock(
            config,
            listener,
            async move {
                let _ = rx.await;
            },
            clock,
        ));
        self.running = Some(Running { stop, task });
    }

    /// Stops the bridge (graceful shutdown) and waits for it.
    pub async fn stop_bridge(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            match r.task.await {
                Ok(Ok(())) => {}
                other => panic!("the bridge did not stop cleanly: {other:?}"),
            }
        }
    }

    /// Starts the bridge again on the same port with the same store.
    pub async fn start_bridge(&mut self) -> anyhow::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        self.run_bridge(listener);
        Ok(())
    }

    pub fn bridge_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn webhook_url(&self) -> String {
        format!(
            "{}{}",
            self.bridge_url(),
            self.config.raw.whatsapp.webhook_path
        )
    }

    pub fn user_id(&self, name: &str) -> String {
        format!("@{name}:{SERVER_NAME}")
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            r.task.abort();
        }
    }
}
