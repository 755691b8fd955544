//! The 24-hour window in the bridge: staff messages outside it are held (with a notice) and
//! released when the citizen writes again; `!template` sends an approved template, which
//! WhatsApp accepts at any time; the room topic tracks the window, and a sweeper updates it
//! when a window closes.

use std::time::Duration;

use serde_json::json;
use tracing::{error, info, warn};

use crate::bridge::engine::command::{Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{NoticeWork, StaffWork, Work};
use crate::bridge::engine::worker::Step;
use crate::bridge::portal::Portals;
use crate::bridge::portal::window;
use crate::commands::{CommandSpec, Where, Who};
use crate::ids::CitizenKey;
use crate::matrix::txn_id;
use crate::store::{Mark, Op, PortalRecord, Store};
use crate::whatsapp::message::Template;

/// How often the sweeper looks for windows that closed.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Portals {
    /// The templates staff can send, for a notice (none listed if the list cannot be read).
    fn template_list(&self) -> String {
        self.templates.staff_list().unwrap_or_else(|e| {
            warn!("the templates cannot be read: {}", e.reason);
            self.t("templates_none", &[])
        })
    }

    /// A staff message that cannot go out now: kept aside, with a notice saying why.
    pub(in crate::bridge) fn hold(&self, s: &StaffWork, citizen: &str) -> Step {
        let mut held = s.clone();
        held.in_flight = false;
        held.attempts = 0;
        let ops = vec![
            self.parts
                .store
                .held_push_op(citizen, &Work::Staff(held).to_bytes()),
            self.helpdesk.held_op(&s.sender),
        ];
        info!(event_id = %s.event_id, "held: the citizen's 24-hour window is closed");
        let text = self.t("held", &[("templates", &self.template_list())]);
        Step::Then(
            Work::Notice(NoticeWork::reply(&s.room_id, &s.event_id, "held", text)),
            ops,
        )
    }

    /// `!template <name> [params…]` as the Cloud API template object, or what is wrong (a
    /// template Meta does not have approved, one that needs an attachment, a wrong count).
    pub(in crate::bridge) fn template_request(
        &self,
        args: &str,
    ) -> Result<Result<Template, String>, Failure> {
        let args = window::split_args(args);
        let Some(key) = args.first() else {
            return Ok(Err(self.template_list()));
        };
        let Some(t) = self.templates.choose(key)? else {
            return Ok(Err(self.t(
                "template_unknown",
                &[("name", key), ("list", &self.template_list())],
            )));
        };
        if let Err(why) = t.usable(self.templates.synced()?, false) {
            let why = self.templates.unusable_text(&t, &why);
            return Ok(Err(format!("{why} {}", self.template_list())));
        }
        if let Some(kind) = &t.media_header {
            return Ok(Err(
                self.t("template_media", &[("name", key), ("kind", kind)])
            ));
        }
        if t.url_button_params > 0 {
            return Ok(Err(self.t("template_url_params", &[("name", key)])));
        }
        let params = &args[1..];
        if params.len() != t.param_count() {
            return Ok(Err(self.t(
                "template_params",
                &[
                    ("name", key),
                    ("want", &t.param_count().to_string()),
                    ("got", &params.len().to_string()),
                    (
                        "description",
                        &format!(
                            "{} — {}",
                            crate::bridge::templates::Templates::usage_line(&t),
                            t.description
                        ),
                    ),
                ],
            )));
        }
        let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
        Ok(Ok(t.message(&params, None)))
    }

    /// Shows the window in the topic when what it shows is out of date by an hour or more.
    pub(in crate::bridge) async fn refresh_topic(
        &self,
        portal: &mut PortalRecord,
    ) -> Result<Vec<Op>, Failure> {
        let now = self.now_secs() as i64;
        let until = window::until(portal.last_inbound_at).filter(|u| now < *u);
        let stale = match (portal.topic_until, until) {
            (None, _) => true,
            (Some(0), None) => false,
            (Some(0), Some(_)) | (Some(_), None) => true,
            (Some(shown), Some(u)) => (u - shown).abs() >= 3600,
        };
        let conversation = self
            .parts
            .store
            .conversation(&portal.citizen.as_str())?
            .map(|c| self.helpdesk.topic_line(&c));
        if !stale && conversation == portal.topic_conversation {
            return Ok(vec![]);
        }
        let who = portal.citizen.masked();
        let mut topic = window::topic(
            &who,
            until,
            now,
            self.parts.config.timezone(),
            &self.parts.texts,
        );
        if let Some(line) = &conversation {
            topic = format!("{topic} · {line}");
        }
        self.parts
            .matrix
            .set_state(
                &portal.room_id,
                "m.room.topic",
                "",
                &json!({"topic": topic}),
            )
            .await?;
        portal.topic_until = Some(until.unwrap_or(0));
        portal.topic_conversation = conversation;
        Ok(Store::portal_ops(portal))
    }

    pub(in crate::bridge) async fn window_topic(
        &self,
        citizen: &CitizenKey,
    ) -> Result<Step, Failure> {
        let Some(mut portal) = self.parts.store.portal(&citizen.as_str())? else {
            return Ok(Step::Done(vec![]));
        };
        Ok(Step::Done(self.refresh_topic(&mut portal).await?))
    }

    /// The citizen wrote: their held messages go back into the queue, after a notice.
    pub(in crate::bridge) fn release_held(
        &self,
        portal: &PortalRecord,
        wamid: &str,
    ) -> Result<Vec<Op>, Failure> {
        let store = &self.parts.store;
        let held = store.held(&portal.citizen.as_str())?;
        if held.is_empty() {
            return Ok(vec![]);
        }
        info!(
            count = held.len(),
            "the citizen wrote again: releasing held messages"
        );
        let notice = Work::Notice(NoticeWork {
            room_id: portal.room_id.clone(),
            html: None,
            text: self.t("released", &[("count", &held.len().to_string())]),
            reply_to: None,
            txn_id: txn_id("release", wamid),
        });
        let mut ops = vec![store.queue_push_op(&portal.citizen.as_str(), &notice.to_bytes())];
        for item in held {
            ops.push(Store::held_delete_op(&item));
            ops.push(store.queue_push_op(&portal.citizen.as_str(), &item.body));
        }
        Ok(ops)
    }

    /// Every minute: portals whose topic still shows an open window that has closed get a
    /// `WindowTopic` item (once per closing).
    pub(in crate::bridge) async fn sweep_windows_forever(&self) {
        loop {
            if self.parts.life.sleep_or_shutdown(SWEEP_EVERY).await {
                return;
            }
            let now = self.now_secs() as i64;
            let mut after: Option<String> = None;
            loop {
                let page = match self.parts.store.portals_page(after.as_deref(), 256) {
                    Ok(p) => p,
                    Err(e) => {
                        warn!("window sweep: {e}");
                        break;
                    }
                };
                let Some(last) = page.last() else { break };
                after = Some(last.citizen.as_str());
                self.sweep_page(page, now);
            }
        }
    }

    /// Queues a topic refresh for each portal whose topic shows a window that has ended. A
    /// panic on one portal skips that portal (reported once), never the sweeper.
    fn sweep_page(&self, portals: Vec<crate::store::PortalRecord>, now: i64) {
        for p in portals {
            let swept = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::failpoint::hit("sweeper.portal", p.citizen.as_str().as_bytes());
                self.sweep_portal(&p, now)
            }));
            if swept.is_err() {
                error!("the window sweep panicked on a portal; it is skipped");
                self.report_sweep_panic(&p.citizen.as_str());
            }
        }
    }

    fn sweep_portal(&self, p: &crate::store::PortalRecord, now: i64) {
        let Some(shown) = p.topic_until.filter(|u| *u > 0 && now >= *u) else {
            return;
        };
        let mark = Mark::WindowClosed {
            citizen: &p.citizen.as_str(),
            until: shown,
        };
        if matches!(self.parts.store.seen(&mark), Ok(true)) {
            return;
        }
        let ops = vec![
            Store::seen_op(&mark),
            self.parts
                .store
                .queue_push_op(&p.citizen.as_str(), &Work::WindowTopic.to_bytes()),
        ];
        match self.parts.store.commit(ops) {
            Ok(()) => self.parts.wake.queue(p.citizen.as_str()),
            Err(e) => warn!("window sweep: {e}"),
        }
    }

    /// One admin line per portal and run of the bridge (the mark keeps it from repeating).
    fn report_sweep_panic(&self, citizen: &str) {
        let mark = Mark::SweepPanic(citizen);
        if matches!(self.parts.store.seen(&mark), Ok(true)) {
            return;
        }
        let notice = Work::AdminNotice {
            text: self.t(
                "sweep_panic",
                &[(
                    "who",
                    &crate::bridge::engine::admin_room::whose(&self.parts.texts, citizen),
                )],
            ),
            txn_id: crate::matrix::txn_id("sweep-panic", citizen),
        };
        let store = &self.parts.store;
        let ops = vec![
            Store::seen_op(&mark),
            store.queue_push_op(crate::bridge::engine::item::ADMIN_QUEUE, &notice.to_bytes()),
        ];
        match store.commit(ops) {
            Ok(()) => self
                .parts
                .wake
                .queue(crate::bridge::engine::item::ADMIN_QUEUE.to_owned()),
            Err(e) => warn!("window sweep: {e}"),
        }
    }
}

/// `!template`: a message to the citizen, sent through their queue like any staff answer.
pub(in crate::bridge) static COMMANDS: [Command<Portals>; 1] = [Command {
    spec: CommandSpec {
        name: "template",
        args: "<key> [parameters…]",
        help: "send an approved template to this citizen (works outside the 24-hour window)",
        who: Who::Staff,
        place: Where::Portal,
    },
    run: Run::StaffMessage,
}];
