//! Access (GDPR art. 15): `!export` gives an admin, as two files in the admin room (JSON, and
//! an HTML page the citizen can be given as it is), everything the bridge holds about a citizen
//! — the store's entries, section by section — and their conversation as read from the room:
//! who (citizen or office), when, what, and every attachment listed. The command is audited
//! like every command.

use chrono::TimeZone;
use serde_json::json;

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{CommandWork, Reply};
use crate::bridge::privacy::Privacy;
use crate::bridge::privacy::render::{self, Export, Line};
use crate::ids::CitizenKey;
use crate::matrix::txn_id;
use crate::texts::Lang;

const PAGE: usize = 100;

impl Privacy {
    /// An instant as RFC 3339 in the office's time zone.
    fn rfc3339(&self, ms: i64) -> String {
        chrono::Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(|t| t.with_timezone(&self.parts.config.timezone()).to_rfc3339())
            .unwrap_or_default()
    }

    /// The room's conversation, oldest first.
    async fn conversation(&self, room: &str, ghost: &str) -> Result<Vec<Line>, Failure> {
        let bot = &self.parts.config.bot_user_id;
        let mut lines = Vec::new();
        let mut from: Option<String> = None;
        loop {
            let page = self
                .parts
                .matrix
                .timeline_page(room, from.as_deref(), true, PAGE)
                .await?;
            for e in &page.events {
                let at = self.rfc3339(e["origin_server_ts"].as_i64().unwrap_or(0));
                lines.extend(render::line(e, ghost, bot, at));
            }
            match page.next {
                Some(next) => from = Some(next),
                None => return Ok(lines),
            }
        }
    }

    pub(super) async fn export(
        &self,
        citizen: &CitizenKey,
        c: &CommandWork,
    ) -> Result<Reply, Failure> {
        let (subject, found) = self.held_about(citizen).await?;
        let conversation = match (&subject.room_id, &subject.ghost) {
            (Some(room), Some(ghost)) => self.conversation(room, ghost).await?,
            _ => Vec::new(),
        };
        let who = citizen.masked();
        if found.is_empty() && conversation.is_empty() {
            return Ok(Reply::text(self.t("export_nothing", &[("who", &who)])));
        }
        let raw = &self.parts.config.raw;
        let x = Export {
            generated_at: self.rfc3339(self.now() as i64 * 1000),
            office: raw.office.name.clone(),
            identities: subject
                .identities
                .iter()
                .map(|i| i[2..].to_owned())
                .collect(),
            held_by_the_bridge: render::held(&found),
            conversation,
            elsewhere: vec![
                self.t("export_elsewhere_meta", &[]),
                self.t("export_elsewhere_matrix", &[]),
            ],
        };
        let lang = match self.parts.texts.lang() {
            Lang::It => "it",
            Lang::En => "en",
        };
        let day = self.parts.config.local_stamp(self.now());
        let stem = format!("export-{}", who.replace(['.', '…'], ""));
        let admin_room = self.admin_room.ensure().await?;
        let files = [
            (
                format!("{stem}.json"),
                "application/json",
                render::to_json(&x),
            ),
            (
                format!("{stem}.html"),
                "text/html",
                render::to_html(&x, &self.parts.texts, lang).into_bytes(),
            ),
        ];
        for (name, mime, bytes) in files {
            let size = bytes.len();
            let url = self.parts.matrix.upload(None, &name, mime, bytes).await?;
            let content = json!({"msgtype": "m.file", "body": name, "filename": name, "url": url,
                "info": {"mimetype": mime, "size": size}});
            let txn = txn_id("export", &format!("{}|{name}", c.event_id));
            (self.parts.matrix)
                .send(None, &admin_room, "m.room.message", &txn, &content)
                .await?;
        }
        let messages = x.conversation.len().to_string();
        let records = found.len().to_string();
        Ok(Reply::text(self.t(
            "export_done",
            &[
                ("who", &who),
                ("messages", &messages),
                ("records", &records),
                ("when", &day),
            ],
        )))
    }
}
