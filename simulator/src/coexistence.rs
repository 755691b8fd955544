//! Coexistence webhooks, shaped as Meta documents them (`smb_message_echoes`, `history`,
//! `smb_app_state_sync`; see the fixtures in `coexistence/` and `echoes/`): what the office
//! sends, edits or deletes from the WhatsApp Business app, the chat history shared at
//! onboarding (chunks with phase, order and progress; a placeholder's media in a later
//! `history` webhook with `messages[]`; the refusal 2593109), and the phone's contacts.

use base64::Engine;
use serde_json::{Value, json};

use crate::Simulator;
use crate::webhook::{Citizen, now};

impl Simulator {
    /// A fresh wamid of a message the office sent from the app to `c`.
    pub fn new_app_wamid(&self, c: &Citizen) -> String {
        let n = self.next_counter();
        let who = c.wa_id.clone().unwrap_or_default();
        let raw = format!("\x15\x02\x00\x12\x18{who}\x15\x02\x00\x12\x18\x14APP{n:017X}\x00");
        format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// A notification of `field` whose value holds `key: items`.
    fn coexistence_notification(&self, field: &str, key: &str, items: Value) -> Value {
        self.envelope(field, json!({ key: items }))
    }

    /// An echo object: the office sent `kind` (`body` under it) to `to` from the app.
    pub fn app_message(&self, to: &Citizen, kind: &str, body: Value) -> Value {
        let mut e = json!({
            "from": self.cfg.display_phone_number,
            "to": to.wa_id,
            "id": self.new_app_wamid(to),
            "timestamp": now().to_string(),
            "type": kind,
        });
        e[kind] = body;
        e
    }

    /// The echo of a text the office sent from the app.
    pub fn app_text(&self, to: &Citizen, body: &str) -> Value {
        self.app_message(to, "text", json!({"body": body}))
    }

    /// The echo of an edit in the app: `original` now is `new_message` (`type` + object).
    pub fn app_edit(&self, to: &Citizen, original: &str, new_message: Value) -> Value {
        self.app_message(
            to,
            "edit",
            json!({"original_message_id": original, "message": new_message}),
        )
    }

    /// The echo of a deletion in the app.
    pub fn app_revoke(&self, to: &Citizen, original: &str) -> Value {
        self.app_message(to, "revoke", json!({"original_message_id": original}))
    }

    /// A `smb_message_echoes` notification.
    pub fn echoes(&self, echoes: Vec<Value>) -> Value {
        self.coexistence_notification("smb_message_echoes", "message_echoes", json!(echoes))
    }

    /// A message of the shared history in `c`'s chat: from the office or from `c`, at `at`
    /// (Unix seconds), `kind` with `body` (`media_placeholder` has none).
    pub fn history_message(
        &self,
        c: &Citizen,
        from_office: bool,
        at: u64,
        kind: &str,
        body: Value,
    ) -> Value {
        let from = if from_office {
            self.cfg.display_phone_number.clone()
        } else {
            c.wa_id.clone().unwrap_or_default()
        };
        let mut m = json!({
            "from": from,
            "id": if from_office { self.new_app_wamid(c) } else { self.new_wamid(c) },
            "timestamp": at.to_string(),
            "type": kind,
            "history_context": {"status": if from_office { "READ" } else { "DELIVERED" }},
        });
        if kind != "media_placeholder" {
            m[kind] = body;
        }
        m
    }

    /// A `history` notification: one chunk, with its threads (`c`, messages).
    pub fn history_chunk(
        &self,
        phase: u8,
        chunk_order: u32,
        progress: u8,
        threads: &[(&Citizen, Vec<Value>)],
    ) -> Value {
        let threads: Vec<Value> = threads
            .iter()
            .map(|(c, messages)| json!({"id": c.wa_id, "messages": messages}))
            .collect();
        let chunk = json!([{
            "metadata": {"phase": phase, "chunk_order": chunk_order, "progress": progress},
            "threads": threads,
        }]);
        self.coexistence_notification("history", "history", chunk)
    }

    /// The later `history` webhook that brings a placeholder's media (`messages[]`).
    pub fn history_media(&self, messages: Vec<Value>) -> Value {
        self.coexistence_notification("history", "messages", json!(messages))
    }

    /// The history was not shared: the business turned it off in the app (2593109).
    pub fn history_declined(&self) -> Value {
        let e = json!([{"errors": [{
            "code": 2593109,
            "title": "History sync is turned off by the business from the WhatsApp Business App",
            "message": "History sync is turned off by the business from the WhatsApp Business App",
            "error_data": {"details": "History sharing is turned off by the business"}
        }]}]);
        self.coexistence_notification("history", "history", e)
    }

    /// A contact of the office's phone added or edited (`full_name`), or removed (`None`).
    pub fn contact_sync(&self, c: &Citizen, full_name: Option<&str>) -> Value {
        let mut contact = json!({"phone_number": c.wa_id});
        if let Some(n) = full_name {
            contact["full_name"] = json!(n);
            contact["first_name"] = json!(n.split_whitespace().next().unwrap_or(n));
        }
        let item = json!([{
            "type": "contact",
            "contact": contact,
            "action": if full_name.is_some() { "add" } else { "remove" },
            "metadata": {"timestamp": now().to_string()},
        }]);
        self.coexistence_notification("smb_app_state_sync", "state_sync", item)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{Value, json};

    use crate::webhook::Citizen;
    use crate::{SimConfig, Simulator};

    /// Every key path of a JSON value (`a.b`, arrays as `[]`).
    fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = format!("{prefix}.{k}");
                    out.insert(p.clone());
                    paths(v, &p, out);
                }
            }
            Value::Array(a) => {
                for v in a {
                    paths(v, &format!("{prefix}[]"), out);
                }
            }
            _ => {}
        }
    }

    fn shape(v: &Value) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        paths(v, "", &mut out);
        out
    }

    /// Meta's example, or `None` where `../shared` is not checked out.
    fn fixture(path: &str) -> Option<Value> {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/fixtures/whatsapp-cloud")
            .join(path);
        let text = std::fs::read_to_string(&full).ok()?;
        Some(serde_json::from_str(&text).unwrap())
    }

    /// Each coexistence webhook the simulator sends has exactly the keys of Meta's example.
    #[tokio::test]
    async fn the_webhooks_have_meta_s_shapes() {
        let sim = Simulator::start(SimConfig::default()).await.unwrap();
        let anna = Citizen::phone("393331234567", "Anna Rossi");
        let cases = [
            (
                "echoes/metadocs_smb_echo_text.json",
                sim.echoes(vec![sim.app_text(&anna, "È aperto")]),
            ),
            (
                "echoes/metadocs_smb_echo_revoke.json",
                sim.echoes(vec![sim.app_revoke(&anna, "wamid.X")]),
            ),
            (
                "coexistence/metadocs_smb_app_state_sync_contact_add.json",
                sim.contact_sync(&anna, Some("Anna Rossi")),
            ),
            (
                "coexistence/metadocs_history_media_followup_image.json",
                sim.history_media(vec![json!({"from": "393331234567", "id": "wamid.P",
                    "timestamp": "1", "type": "image", "image": {"caption": "c", "mime_type": "image/jpeg",
                    "sha256": "s", "id": "1"}})]),
            ),
        ];
        for (path, built) in cases {
            let Some(meta) = fixture(path) else {
                eprintln!("skipped: ../shared is not here");
                return;
            };
            assert_eq!(shape(&built), shape(&meta), "{path}");
        }
        // A chunk with the example's three kinds of message.
        let msgs = vec![
            sim.history_message(&anna, true, 1, "text", json!({"body": "Buongiorno"})),
            sim.history_message(&anna, true, 2, "media_placeholder", json!({})),
            sim.history_message(&anna, false, 3, "text", json!({"body": "Grazie!"})),
        ];
        let built = sim.history_chunk(0, 1, 55, &[(&anna, msgs)]);
        let meta = fixture("coexistence/metadocs_history_phase0_chunk1_two_threads.json").unwrap();
        assert_eq!(shape(&built), shape(&meta));
        let declined = sim.history_declined();
        let value = &declined["entry"][0]["changes"][0]["value"];
        let meta =
            fixture("coexistence/metadocs_history_declined_2593109_value_only.json").unwrap();
        assert_eq!(shape(value), shape(&meta));
    }
}
