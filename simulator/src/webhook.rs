//! The webhook sender: notifications shaped as Meta documents them (`object`, `entry[]`,
//! `changes[]`, `value` with `metadata`, `contacts[]` and `messages[]` or `statuses[]`),
//! serialised with non-ASCII characters `\u`-escaped as Meta does, and signed with
//! `X-Hub-Signature-256: sha256=<hmac of the exact bytes>`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::Simulator;

/// A citizen writing to the business number.
#[derive(Clone, Debug)]
pub struct Citizen {
    /// Phone number (E.164 digits); `None` for a username-only user since 2026.
    pub wa_id: Option<String>,
    /// Business-scoped user id (`CC.<alnum>`).
    pub user_id: Option<String>,
    pub name: Option<String>,
}

impl Citizen {
    pub fn phone(wa_id: &str, name: &str) -> Citizen {
        Citizen {
            wa_id: Some(wa_id.into()),
            user_id: None,
            name: Some(name.into()),
        }
    }
    pub fn bsuid_only(user_id: &str, name: &str) -> Citizen {
        Citizen {
            wa_id: None,
            user_id: Some(user_id.into()),
            name: Some(name.into()),
        }
    }

    fn contact(&self) -> Value {
        let mut c = json!({});
        if let Some(n) = &self.name {
            c["profile"] = json!({"name": n});
        }
        if let Some(w) = &self.wa_id {
            c["wa_id"] = json!(w);
        }
        if let Some(u) = &self.user_id {
            c["user_id"] = json!(u);
        }
        c
    }
}

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Serialises as Meta does: non-ASCII characters as `\uXXXX` (surrogate pairs above BMP).
pub fn meta_bytes(v: &Value) -> Vec<u8> {
    let s = serde_json::to_string(v).expect("serialisable");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for u in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out.into_bytes()
}

/// `sha256=<lowercase hex>` of HMAC-SHA256(secret, body).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Simulator {
    /// A fresh inbound wamid for this citizen.
    pub fn new_wamid(&self, c: &Citizen) -> String {
        let n = self.next_counter();
        let who = c
            .wa_id
            .clone()
            .or_else(|| c.user_id.clone())
            .unwrap_or_default();
        let raw = format!("\x15\x02\x00\x12\x18{who}\x15\x02\x00\x12\x18\x14IN{n:018X}\x00");
        format!(
            "wamid.{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    /// A text message object from `c`.
    pub fn text(&self, c: &Citizen, body: &str) -> Value {
        let mut m = json!({
            "id": self.new_wamid(c),
            "timestamp": now().to_string(),
            "type": "text",
            "text": {"body": body},
        });
        if let Some(w) = &c.wa_id {
            m["from"] = json!(w);
        }
        if let Some(u) = &c.user_id {
            m["from_user_id"] = json!(u);
        }
        m
    }

    /// A message of any kind from `c`: `kind` is Meta's `type`, `body` the object under it.
    pub fn message(&self, c: &Citizen, kind: &str, body: Value) -> Value {
        let mut m = self.text(c, "");
        m.as_object_mut().unwrap().remove("text");
        m["type"] = json!(kind);
        m[kind] = body;
        m
    }

    /// An image/video/audio/document/sticker message for media stored with `add_media`.
    pub fn media_message(&self, c: &Citizen, kind: &str, media_id: &str, extra: Value) -> Value {
        let m = self.media(media_id).expect("media stored with add_media");
        let mut body = json!({
            "id": media_id,
            "mime_type": m.mime_type,
            "sha256": base64::engine::general_purpose::STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(&m.bytes)),
        });
        if let (Some(o), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        self.message(c, kind, body)
    }

    /// A text message replying to (quoting) the business message `wamid`.
    pub fn reply(&self, c: &Citizen, body: &str, wamid: &str) -> Value {
        let mut m = self.text(c, body);
        m["context"] = json!({"from": self.cfg.display_phone_number, "id": wamid});
        m
    }

    /// A `messages` notification carrying these message objects from these citizens.
    pub fn notification(&self, from: &[&Citizen], messages: Vec<Value>) -> Value {
        let contacts: Vec<Value> = from.iter().map(|c| c.contact()).collect();
        self.envelope(
            "messages",
            json!({"contacts": contacts, "messages": messages}),
        )
    }

    /// A notification of one change of `field` for the number: `items` (an object) joined to
    /// the value's `messaging_product` and `metadata`.
    pub(crate) fn envelope(&self, field: &str, items: Value) -> Value {
        let mut value = json!({
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": self.cfg.display_phone_number,
                "phone_number_id": self.cfg.phone_number_id,
            },
        });
        if let (Some(v), Value::Object(extra)) = (value.as_object_mut(), items) {
            v.extend(extra);
        }
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": self.cfg.waba_id, "changes": [{"value": value, "field": field}]}]
        })
    }

    /// A status notification for an outbound message.
    pub fn status_notification(&self, wamid: &str, status: &str, recipient: &str) -> Value {
        let mut s = json!({
            "id": wamid,
            "status": status,
            "timestamp": now().to_string(),
            "recipient_id": recipient,
        });
        if status != "failed" {
            s["pricing"] = json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"});
        }
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": self.cfg.waba_id, "changes": [{"value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": self.cfg.display_phone_number, "phone_number_id": self.cfg.phone_number_id},
                "statuses": [s]
            }, "field": "messages"}]}]
        })
    }

    /// A `failed` status with one error, as Meta sends it (no `contacts`, no pricing).
    pub fn failed_status_notification(
        &self,
        wamid: &str,
        recipient: &str,
        code: i64,
        title: &str,
    ) -> Value {
        let mut n = self.status_notification(wamid, "failed", recipient);
        n["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"] = json!([{
            "code": code,
            "title": title,
            "message": title,
            "error_data": {"details": title},
        }]);
        n
    }

    /// Posts raw bytes with the given signature header; returns the HTTP status (0 when the
    /// bridge could not be reached).
    pub async fn post_raw(&self, body: Vec<u8>, signature: Option<String>) -> u16 {
        let Some(url) = self.state.lock().unwrap().webhook_url.clone() else {
            return 0;
        };
        let mut req = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            req = req.header("x-hub-signature-256", s);
        }
        match req.timeout(Duration::from_secs(30)).send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        }
    }

    /// Signs and posts a notification as Meta would; returns the HTTP status.
    pub async fn post(&self, notification: &Value) -> u16 {
        self.note_inbound(notification);
        let bytes = meta_bytes(notification);
        let sig = sign(&self.cfg.app_secret, &bytes);
        self.post_raw(bytes, Some(sig)).await
    }

    /// Like Meta: retries a delivery that was not answered 200 (here: a few times, quickly).
    pub async fn post_until_ok(&self, notification: &Value, attempts: u32) -> u16 {
        let mut last = 0;
        for i in 0..attempts {
            last = self.post(notification).await;
            if last == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200 * u64::from(i + 1))).await;
        }
        last
    }

    /// Posts the notifications in the order given by `order` (indices into `notifications`,
    /// repeats allowed): Meta does not guarantee order, and retries duplicates.
    pub async fn post_in_order(&self, notifications: &[Value], order: &[usize]) -> Vec<u16> {
        let mut out = Vec::with_capacity(order.len());
        for &i in order {
            out.push(self.post(&notifications[i]).await);
        }
        out
    }

    /// Posts `sent`, `delivered`, `read`, echoing the send's `biz_opaque_callback_data`;
    /// like Meta, keeps retrying while the bridge cannot be reached (here up to 2 minutes).
    pub(crate) async fn deliver_statuses(
        &self,
        wamid: &str,
        to: &str,
        callback: Option<String>,
        pricing: Value,
    ) {
        for status in ["sent", "delivered", "read"] {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut n = self.status_notification(wamid, status, to);
            n["entry"][0]["changes"][0]["value"]["statuses"][0]["pricing"] = pricing.clone();
            if let Some(c) = &callback {
                n["entry"][0]["changes"][0]["value"]["statuses"][0]["biz_opaque_callback_data"] =
                    json!(c);
            }
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            let mut wait = Duration::from_millis(100);
            while self.post(&n).await != 200 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }

    /// The `system` message Meta sends when `c` moved their WhatsApp account to the number
    /// `new_wa_id` (`user_changed_number`; Meta's OpenAPI example): from the old number,
    /// without contacts.
    pub fn number_change(&self, c: &Citizen, new_wa_id: &str) -> Value {
        let old = c.wa_id.clone().unwrap_or_default();
        let name = c.name.clone().unwrap_or_default();
        let m = self.message(
            c,
            "system",
            json!({
                "body": format!("User {name} changed from {old} to {new_wa_id}"),
                "wa_id": new_wa_id,
                "type": "user_changed_number",
            }),
        );
        self.notification(&[], vec![m])
    }

    /// A `user_id_update` notification: `c`'s business-scoped id was regenerated from
    /// `previous` to `current`.
    pub fn user_id_update_notification(&self, c: &Citizen, previous: &str, current: &str) -> Value {
        let name = c.name.clone().unwrap_or_default();
        let mut update = json!({
            "detail": format!("User id for {name} has been updated."),
            "user_id": {"previous": previous, "current": current},
            "timestamp": now().to_string(),
        });
        if let Some(w) = &c.wa_id {
            update["wa_id"] = json!(w);
        }
        self.about_citizen(c, "user_id_update", update)
    }

    /// A notification of `field` about `c`, carrying one `item` in the array named as the field.
    fn about_citizen(&self, c: &Citizen, field: &str, item: Value) -> Value {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": self.cfg.waba_id, "changes": [{"value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": self.cfg.display_phone_number, "phone_number_id": self.cfg.phone_number_id},
                "contacts": [c.contact()],
                field: [item],
            }, "field": field}]}]
        })
    }

    /// A `user_preferences` notification: the citizen turned marketing messages off
    /// (`stop`) or on (`resume`) in WhatsApp's settings.
    pub fn preference_notification(&self, c: &Citizen, value: &str) -> Value {
        let detail = match value {
            "stop" => "User requested to stop marketing messages",
            _ => "User requested to resume marketing messages",
        };
        let item = json!({
            "wa_id": c.wa_id,
            "detail": detail,
            "category": "marketing_messages",
            "value": value,
            "timestamp": now(),
        });
        self.about_citizen(c, "user_preferences", item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_meta() {
        let b = meta_bytes(&json!({"t": "äöå 👍"}));
        assert_eq!(
            String::from_utf8(b).unwrap(),
            r#"{"t":"\u00e4\u00f6\u00e5 \ud83d\udc4d"}"#
        );
    }

    #[test]
    fn signature_format() {
        let s = sign("k", b"{}");
        assert!(s.starts_with("sha256=") && s.len() == 7 + 64);
    }
}
