//! A simulator of Meta's WhatsApp Cloud API for Sportello's tests, demo and benchmarks.
//!
//! Two halves, both written from Meta's documented shapes (never from Sportello's types):
//! - [`graph`]: the Graph API endpoints the bridge calls, checking request shapes and
//!   answering as Meta does, with scriptable failures;
//! - [`webhook`]: a sender of signed webhook notifications (citizen messages, statuses),
//!   batched, repeated or reordered on demand;
//! - [`template_api`]: the account's template list and its template webhooks.

pub mod coexistence;
pub mod graph;
pub mod media;
pub mod template_api;
pub mod templates;
pub mod webhook;

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use serde_json::Value;

/// The business side's identity and secrets, as configured in Meta's App Dashboard.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub access_token: String,
    pub app_secret: String,
    /// After accepting a send, post `sent`, `delivered` and `read` statuses for it.
    pub auto_statuses: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            waba_id: "102290129340398".into(),
            phone_number_id: "106540352242922".into(),
            display_phone_number: "15550783881".into(),
            access_token: "EAAsimulatedtoken".into(),
            app_secret: "simulated-app-secret".into(),
            auto_statuses: true,
        }
    }
}

/// A scripted answer for the next Graph API call.
#[derive(Clone, Debug)]
pub enum Failure {
    /// An error body with this code, as Meta sends it.
    Graph {
        http_status: u16,
        code: i64,
        message: String,
    },
    /// A bare 500 from the edge (no Graph error body).
    Http500,
    /// Hold the request this long before answering (longer than the client's timeout).
    Delay(Duration),
    /// Take the message (it is sent, as Meta may have), then break the connection while
    /// answering: the client cannot know whether it arrived.
    Reset,
}

impl Failure {
    /// Meta's re-engagement error (window closed).
    pub fn window_closed() -> Failure {
        Failure::Graph {
            http_status: 400,
            code: 131047,
            message: "Re-engagement message".into(),
        }
    }
    pub fn throughput() -> Failure {
        Failure::Graph {
            http_status: 400,
            code: 130429,
            message: "Rate limit hit".into(),
        }
    }
    pub fn service_unavailable() -> Failure {
        Failure::Graph {
            http_status: 503,
            code: 131016,
            message: "Service unavailable".into(),
        }
    }
}

/// A Graph API request the simulator received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub at: SystemTime,
    /// The status the simulator answered; 0 while unanswered (or if the client gave up).
    pub status: u16,
    /// The body it answered (JSON, or Null).
    pub response: Value,
}

#[derive(Default)]
struct State {
    recorded: Vec<Recorded>,
    failures: VecDeque<Failure>,
    webhook_url: Option<String>,
    counter: u64,
    /// Overrides `SimConfig::auto_statuses` at run time.
    auto_statuses: Option<bool>,
    media: std::collections::HashMap<String, media::Media>,
    /// Media files served (downloads of their URL).
    downloads: u32,
    /// Sends per second the number may make (Meta: 80, up to 1,000); `None`: unlimited.
    throughput: Option<u32>,
    /// When the sends of the last second were accepted.
    recent: VecDeque<std::time::Instant>,
    /// Keep only the time and answer of each send (benchmarks with 100,000 sends).
    light: bool,
    /// The light record: when each `/messages` request arrived, and the status answered.
    light_log: Vec<(SystemTime, u16)>,
    /// The templates the business account has approved (none: any template is accepted).
    templates: Vec<templates::ApprovedTemplate>,
    /// Unscripted failures: this share (per cent) of `/messages` calls answered with one of
    /// these, chosen by a seeded generator (reproducible runs).
    random_failures: Option<(u32, Vec<Failure>, u64)>,
    /// How many random failures were answered.
    random_failed: usize,
    /// When each number last wrote (Unix seconds, from the messages posted): Meta's
    /// customer-service window, which decides what a send costs.
    last_inbound: std::collections::HashMap<String, u64>,
    /// The access token was revoked (as when an admin removes the system user's token, or it
    /// expires): every call is refused with 190 until it is restored.
    token_revoked: bool,
}

/// A running simulator. Clone freely: all clones share state.
#[derive(Clone)]
pub struct Simulator {
    cfg: SimConfig,
    state: Arc<Mutex<State>>,
    addr: std::net::SocketAddr,
    http: reqwest::Client,
}

impl Simulator {
    /// Starts the Graph API on a free loopback port.
    pub async fn start(cfg: SimConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sim = Simulator {
            cfg,
            state: Arc::default(),
            addr: listener.local_addr()?,
            http: reqwest::Client::new(),
        };
        let app = graph::router(sim.clone())
            .merge(media::router(sim.clone()))
            .merge(template_api::router(sim.clone()));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(sim)
    }

    /// Revokes the access token (`true`) or restores it: Meta then answers 190 to every call.
    pub fn revoke_token(&self, revoked: bool) {
        self.state.lock().unwrap().token_revoked = revoked;
    }

    /// Whether a request carries the valid access token.
    pub(crate) fn token_ok(&self, headers: &axum::http::HeaderMap) -> bool {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        auth == Some(&format!("Bearer {}", self.cfg.access_token))
            && !self.state.lock().unwrap().token_revoked
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    /// The value for Sportello's `whatsapp.api_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where webhooks go (the bridge's webhook URL).
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.state.lock().unwrap().webhook_url = Some(url.into());
    }

    /// Turns the automatic sent/delivered/read statuses on or off from now on.
    pub fn set_auto_statuses(&self, on: bool) {
        self.state.lock().unwrap().auto_statuses = Some(on);
    }

    pub(crate) fn auto_statuses(&self) -> bool {
        self.state
            .lock()
            .unwrap()
            .auto_statuses
            .unwrap_or(self.cfg.auto_statuses)
    }

    /// From now on, `/messages` requests are not kept in [`recorded`](Self::recorded), only
    /// their arrival time and answer status in [`light_log`](Self::light_log).
    pub fn set_light_recording(&self, light: bool) {
        self.state.lock().unwrap().light = light;
    }

    /// (arrival time, HTTP status) of each `/messages` request while light recording is on.
    pub fn light_log(&self) -> Vec<(SystemTime, u16)> {
        self.state.lock().unwrap().light_log.clone()
    }

    /// Adds a template to the account (approved unless its `status` says otherwise; given an
    /// id when it has none): from now on template sends are checked against the account's.
    pub fn approve_template(&self, mut t: templates::ApprovedTemplate) {
        let mut st = self.state.lock().unwrap();
        if t.id == 0 {
            t.id = 1_000_000_000_000_000 + st.templates.len() as u64 + 1;
        }
        st.templates.push(t);
    }

    pub(crate) fn approved_templates(&self) -> Vec<templates::ApprovedTemplate> {
        self.state.lock().unwrap().templates.clone()
    }

    /// Refuses sends beyond `per_second` in any second with 130429, as Meta does.
    pub fn set_throughput(&self, per_second: Option<u32>) {
        let mut st = self.state.lock().unwrap();
        st.throughput = per_second;
        st.recent.clear();
    }

    /// Counts a send against the throughput; false when over it.
    pub(crate) fn within_throughput(&self) -> bool {
        let mut st = self.state.lock().unwrap();
        let Some(limit) = st.throughput else {
            return true;
        };
        let now = std::time::Instant::now();
        while st
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            st.recent.pop_front();
        }
        if st.recent.len() >= limit as usize {
            return false;
        }
        st.recent.push_back(now);
        true
    }

    /// Scripts the answers of the next Graph API calls, in order.
    pub fn fail_next(&self, f: Failure) {
        self.state.lock().unwrap().failures.push_back(f);
    }

    /// From now on `percent` of the `/messages` calls not scripted by [`fail_next`]
    /// (Self::fail_next) fail with one of `kinds`, at random (seeded); `0` stops it.
    pub fn fail_randomly(&self, percent: u32, kinds: Vec<Failure>, seed: u64) {
        self.state.lock().unwrap().random_failures =
            (percent > 0 && !kinds.is_empty()).then_some((percent, kinds, seed.max(1)));
    }

    /// The failure for the next call: scripted first, else maybe a random one.
    fn next_failure(&self) -> Option<Failure> {
        let mut st = self.state.lock().unwrap();
        if let Some(f) = st.failures.pop_front() {
            return Some(f);
        }
        let (percent, kinds, seed) = st.random_failures.as_mut()?;
        // xorshift64: small, seeded, good enough to pick failures.
        let mut next = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        if next() % 100 >= u64::from(*percent) {
            return None;
        }
        let pick = (next() % kinds.len() as u64) as usize;
        let f = kinds[pick].clone();
        st.random_failed += 1;
        Some(f)
    }

    /// How many calls [`fail_randomly`](Self::fail_randomly) has failed so far.
    pub fn random_failures(&self) -> usize {
        self.state.lock().unwrap().random_failed
    }

    /// Every Graph API request so far.
    /// How many media files were downloaded so far.
    pub fn media_downloads(&self) -> u32 {
        self.state.lock().unwrap().downloads
    }

    pub fn recorded(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().recorded.clone()
    }

    /// Accepted `POST …/messages` sends (not read receipts), in arrival order.
    pub fn accepted_messages(&self) -> Vec<Value> {
        self.accepted().into_iter().map(|r| r.body).collect()
    }

    /// Accepted sends with the simulator's answer (`response.messages[0].id` is the wamid).
    pub fn accepted(&self) -> Vec<Recorded> {
        self.recorded()
            .into_iter()
            .filter(|r| {
                r.path.ends_with("/messages") && r.status == 200 && r.body.get("status").is_none()
            })
            .collect()
    }

    /// Waits until at least `n` sends were accepted; returns them.
    pub async fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let m = self.accepted_messages();
            if m.len() >= n || tokio::time::Instant::now() >= deadline {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What Meta charges for a send to `to` (its status's `pricing`): a template at its
    /// category's rate, except a utility template inside the window; anything else inside the
    /// window is free customer service.
    pub(crate) fn pricing_for(&self, to: &str, body: &Value) -> Value {
        let now = crate::webhook::now();
        let st = self.state.lock().unwrap();
        let open = st.last_inbound.get(to).is_some_and(|t| now < t + 24 * 3600);
        let category = (body["type"] == "template").then(|| {
            let name = body["template"]["name"].as_str().unwrap_or("");
            st.templates
                .iter()
                .find(|t| t.name == name)
                .map_or("marketing".to_owned(), |t| t.category.to_lowercase())
        });
        let (kind, category) = match category {
            Some(c) if c == "utility" && open => ("free_customer_service", c),
            Some(c) => ("regular", c),
            None => ("free_customer_service", "service".to_owned()),
        };
        serde_json::json!({"billable": kind == "regular", "pricing_model": "PMP",
            "type": kind, "category": category})
    }

    /// Notes the citizens' messages in a notification: their window opens.
    pub(crate) fn note_inbound(&self, notification: &Value) {
        let mut st = self.state.lock().unwrap();
        for entry in notification["entry"].as_array().into_iter().flatten() {
            for change in entry["changes"].as_array().into_iter().flatten() {
                for m in change["value"]["messages"].as_array().into_iter().flatten() {
                    let (Some(from), Some(at)) = (
                        m["from"].as_str(),
                        m["timestamp"].as_str().and_then(|t| t.parse::<u64>().ok()),
                    ) else {
                        continue;
                    };
                    let last = st.last_inbound.entry(from.to_owned()).or_default();
                    *last = (*last).max(at);
                }
            }
        }
    }

    fn next_counter(&self) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.counter += 1;
        s.counter
    }
}
