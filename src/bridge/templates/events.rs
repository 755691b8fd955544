//! The template webhooks: routed (once each, for the configured business account) into the
//! admin room's queue, then applied to the stored list and told to the admins — a template
//! approved, paused, rejected, disabled or flagged, its quality changing, its category
//! changing or about to (the price changes with it).

use sha2::{Digest, Sha256};
use tracing::{debug, info};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{ADMIN_QUEUE, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::engine::worker::Step;
use crate::bridge::templates::Templates;
use crate::store::{Mark, StoreError};
use crate::whatsapp::templates::{TemplateChange, TemplateEvent, TemplateStatus};

impl Templates {
    /// Queues the event for the admin room, unless it is a repeat or for another account.
    pub(in crate::bridge) fn route_event(
        &self,
        r: &mut Routed,
        e: TemplateEvent,
    ) -> Result<(), StoreError> {
        if let Some(account) = self.account()
            && !e.waba_id.is_empty()
            && e.waba_id != account
        {
            debug!("template webhook for another business account; dropped");
            return Ok(());
        }
        let print = hex::encode(&Sha256::digest(serde_json::to_vec(&e).unwrap_or_default())[..12]);
        if !r.first_time(&self.parts.store, Mark::TemplateEvent(&print))? {
            return Ok(());
        }
        info!(template = %e.name, language = %e.language, "template webhook");
        r.push(
            &self.parts.store,
            ADMIN_QUEUE,
            &Work::TemplateEvent(Box::new(e)),
        );
        Ok(())
    }

    /// Applies the event to the stored list and posts what it means in the admin room.
    pub(in crate::bridge) async fn on_event(&self, e: &TemplateEvent) -> Result<Step, Failure> {
        {
            let _writing = self.writing.lock().await;
            let mut c = self.catalogue()?;
            if c.apply(e) {
                self.parts.store.commit(vec![Self::catalogue_op(&c)])?;
            }
        }
        let text = self.event_text(e);
        let txn = format!("{}|{}|{:?}", e.name, e.language, e.change);
        Ok(Step::Then(
            Work::AdminNotice {
                text,
                txn_id: crate::matrix::txn_id("template", &txn),
            },
            vec![],
        ))
    }

    fn event_text(&self, e: &TemplateEvent) -> String {
        let name = e.name.as_str();
        let language = e.language.as_str();
        match &e.change {
            TemplateChange::Status {
                status,
                event,
                reason,
                detail,
            } => self.status_text(e, status, event, reason.as_deref(), detail.as_deref()),
            TemplateChange::Quality { previous, new } => {
                let mut text = self.t(
                    "tpl_quality",
                    &[
                        ("name", name),
                        ("language", language),
                        ("previous", previous.as_deref().unwrap_or("?")),
                        ("new", new),
                    ],
                );
                if new == "RED" {
                    text.push(' ');
                    text.push_str(&self.t("tpl_quality_red", &[]));
                }
                text
            }
            TemplateChange::Category {
                new,
                previous,
                correct,
                at,
            } => match (correct, at) {
                (Some(correct), Some(at)) if correct != new => self.t(
                    "tpl_category_soon",
                    &[
                        ("name", name),
                        ("language", language),
                        ("new", new.name()),
                        ("correct", correct.name()),
                        ("when", &self.parts.config.local_stamp(*at as u64)),
                    ],
                ),
                _ => self.t(
                    "tpl_category_done",
                    &[
                        ("name", name),
                        ("language", language),
                        ("new", new.name()),
                        ("previous", previous.as_ref().map_or("?", |p| p.name())),
                    ],
                ),
            },
        }
    }

    fn status_text(
        &self,
        e: &TemplateEvent,
        status: &TemplateStatus,
        event: &str,
        reason: Option<&str>,
        detail: Option<&str>,
    ) -> String {
        let (name, language) = (e.name.as_str(), e.language.as_str());
        let word = match status {
            TemplateStatus::Approved => self.t("tpl_approved", &[]),
            TemplateStatus::Pending => self.t("tpl_pending", &[]),
            TemplateStatus::Rejected => self.t("tpl_rejected", &[]),
            TemplateStatus::Paused => self.t("tpl_paused", &[]),
            TemplateStatus::Disabled => self.t("tpl_disabled", &[]),
            TemplateStatus::Flagged => self.t("tpl_flagged", &[]),
            TemplateStatus::Deleted => self.t("tpl_deleted", &[]),
            TemplateStatus::Other(_) => self.t("tpl_other", &[("event", event)]),
        };
        let mut text = self.t(
            "tpl_status",
            &[("name", name), ("language", language), ("status", &word)],
        );
        if let Some(r) = reason {
            text.push(' ');
            text.push_str(&self.t("tpl_reason", &[("reason", r)]));
        }
        if let Some(d) = detail {
            text.push(' ');
            text.push_str(&self.t("tpl_detail", &[("detail", d)]));
        }
        if *status != TemplateStatus::Approved {
            text.push(' ');
            text.push_str(&self.t("tpl_blocked", &[]));
        }
        text
    }
}
