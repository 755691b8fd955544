//! The items of a citizen's durable queue. Their JSON form is stored: add fields with
//! `#[serde(default)]`, never rename.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{Bsuid, CitizenKey, WaId, WaMessageId};
use crate::store::{Op, Store};
use crate::whatsapp::kind::Kind;
use crate::whatsapp::webhook::{Context, InboundMessage};

/// The queue key of the admin room's commands and notices (never a citizen key: no `p:`/`b:`).
pub(in crate::bridge) const ADMIN_QUEUE: &str = "admin";

/// Whose queue: a citizen's, or the admin room's. Read once from its store key
/// ([`Queue::parse`]); the worker and the features it calls hold the typed key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(in crate::bridge) enum Queue {
    Admin,
    Citizen(CitizenKey),
    /// A key that is neither (a damaged store): its items are given up, never lost silently.
    Unreadable(String),
}

impl Queue {
    /// The queue a store key names.
    pub(in crate::bridge) fn parse(key: &str) -> Queue {
        if key == ADMIN_QUEUE {
            return Queue::Admin;
        }
        CitizenKey::parse(key)
            .map(Queue::Citizen)
            .unwrap_or_else(|| Queue::Unreadable(key.to_owned()))
    }

    /// Its store key.
    pub(in crate::bridge) fn key(&self) -> String {
        match self {
            Queue::Admin => ADMIN_QUEUE.to_owned(),
            Queue::Citizen(c) => c.as_str(),
            Queue::Unreadable(key) => key.clone(),
        }
    }

    /// The citizen whose queue it is.
    pub(in crate::bridge) fn citizen(&self) -> Option<&CitizenKey> {
        match self {
            Queue::Citizen(c) => Some(c),
            Queue::Admin | Queue::Unreadable(_) => None,
        }
    }
}

/// Masked: the citizen's number hidden, the admin room's queue by its key.
impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Queue::Admin => f.write_str(ADMIN_QUEUE),
            Queue::Citizen(c) => write!(f, "{c}"),
            Queue::Unreadable(_) => f.write_str("?"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "work", rename_all = "snake_case")]
pub enum Work {
    /// A citizen's WhatsApp message, to be shown in their room.
    Citizen(CitizenWork),
    /// A staff member's Matrix event in the citizen's room, to be sent to WhatsApp.
    Staff(StaffWork),
    /// A notice the bot still has to post (the outcome of an earlier item).
    Notice(NoticeWork),
    /// A delivery status of a message staff sent, to be shown in the room.
    Status(StatusWork),
    /// Staff read the citizen's messages up to `wamid` (blue ticks), or are typing. An empty
    /// `wamid` is found by the worker, after the citizen's earlier items are done: the message
    /// of `event_id` (a receipt that came before the bridge recorded its message), or the
    /// citizen's latest message (typing).
    MarkRead {
        wamid: String,
        typing: bool,
        queued_at: u64,
        #[serde(default)]
        event_id: Option<String>,
    },
    /// Bring the room topic up to date with the 24-hour window.
    WindowTopic,
    /// A notice for the admin room (created first if it does not exist yet).
    AdminNotice { text: String, txn_id: String },
    /// A staff command (admin room, or `!command` in a portal).
    Command(CommandWork),
    /// The bot's answers to a citizen's subscription keyword, then a notice for staff.
    BotSend(Box<BotSend>),
    /// Meta said the citizen's number or business-scoped id changed: the portal moves to it.
    NewIdentity {
        phone: Option<String>,
        bsuid: Option<String>,
    },
    /// A staff member left the citizen's room (`event_id`: their leave): noted, to invite
    /// them back when the citizen next writes.
    StaffLeft { user: String, event_id: String },
    /// A staff command about the citizen's conversation (`!claim`, `!close` …).
    Conversation(crate::store::ConversationEvent),
    /// Draw the citizen's conversation (room name, topic, state event, shelf) as stored.
    ShowConversation,
    /// A template's status, quality or category changed at Meta: noted and told the admins.
    TemplateEvent(Box<crate::whatsapp::templates::TemplateEvent>),
    /// Coexistence: something the office did for this citizen in the WhatsApp Business app.
    Echo(Box<EchoWork>),
    /// Coexistence: part of this citizen's shared history, posted in order with its times.
    History(Box<HistoryWork>),
    /// Coexistence: the last chunk of the shared history came; the history is shared out to
    /// the citizens' queues (in the admin room's queue).
    HistoryComplete,
    /// Coexistence: the office's phone knows this citizen by `name`.
    ContactName { name: String },
    /// The citizen's ghost moves to its hashed id (`!migrate-ids`).
    MoveGhost,
    /// Erase the citizen (`!forget`, or the retention sweep): their room first, then the store.
    Forget(Box<ForgetWork>),
}

/// An erasure under way (see `bridge/privacy/forget.rs`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ForgetWork {
    /// The staff member who ran `!forget`, or `retention`.
    pub by: String,
    pub reason: String,
    /// When it was asked for (Unix seconds): the citizen's messages from before it are not
    /// taken in again; newer ones start afresh.
    pub at: u64,
    /// By the retention sweep: counted in its daily line, no report of its own.
    #[serde(default)]
    pub automatic: bool,
    /// What was done in the room, once done (so a retry does not do it again).
    #[serde(default)]
    pub matrix: Option<MatrixOutcome>,
}

/// What an erasure did in the citizen's room.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MatrixOutcome {
    /// The citizen had a room.
    pub room: bool,
    /// Events of the citizen's redacted (`privacy.erase_in_matrix = "redact"`).
    pub redacted: usize,
    /// The citizen's files: their events are redacted, the files stay in the homeserver's
    /// media store until its administrator deletes them.
    #[serde(default)]
    pub media: Vec<String>,
    /// What the homeserver refused for good (the room gone, the bridge no longer in it): told
    /// in the report; the store's erasure goes ahead.
    #[serde(default)]
    pub not_done: Vec<String>,
}

/// What the office did in the WhatsApp Business app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "what")]
pub enum EchoItem {
    /// A message sent: its object as Meta gives it.
    Message { raw: Value },
    /// One of its messages edited: the new message object.
    Edit { original: String, raw: Value },
    /// One of its messages deleted.
    Revoke { original: String },
}

/// A message echo, queued for the citizen it went to.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EchoWork {
    pub wamid: String,
    #[serde(default)]
    pub timestamp: Option<i64>,
    pub item: EchoItem,
}

/// The extent of a citizen's imported history, told first in their room.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct HistoryExtent {
    pub count: usize,
    /// The first and the last message's time (Unix seconds).
    pub from: i64,
    pub to: i64,
}

/// Messages of a citizen's shared history, posted in order from `next` (kept, so a crash or a
/// retry never posts one twice).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryWork {
    /// The import's first item carries its extent, for the notice.
    #[serde(default)]
    pub extent: Option<HistoryExtent>,
    pub messages: Vec<crate::whatsapp::coexistence::HistoryMessage>,
    #[serde(default)]
    pub next: usize,
}

/// What the bot answers to a subscription keyword (decided by the router, where the
/// subscription changed; sent by the citizen's worker).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeywordReply {
    /// For staff, in the citizen's room.
    pub notice: String,
    /// Graph message objects without the recipient: `{"type": …, "<type>": {…}}`.
    pub messages: Vec<crate::whatsapp::message::Message>,
    /// `keyword` or `list`.
    pub channel: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BotSend {
    pub room_id: String,
    /// The citizen's message (shown as a notice) the answers belong to.
    pub event_id: String,
    pub reply: KeywordReply,
    /// How many of `reply.messages` are done.
    #[serde(default)]
    pub next: usize,
    /// Set (and committed) just before the Graph call; found set after a crash, that message
    /// is not sent again.
    #[serde(default)]
    pub in_flight: bool,
    /// Why some answers did not go out.
    #[serde(default)]
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandWork {
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub body: String,
    /// The portal's citizen when typed in a citizen's room.
    pub citizen: Option<CitizenKey>,
    /// The event the command replies to (an attachment for `!broadcast`).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// The line as Element formatted it (`formatted_body`), when it did: a broadcast's text
    /// keeps its bold and italics in WhatsApp's markup.
    #[serde(default)]
    pub html: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusWork {
    pub wamid: String,
    /// `delivered`, `read`, `played` or `failed` (stored as its name).
    pub status: crate::whatsapp::webhook::Status,
    /// Code and title of the first error (`failed`).
    pub error: Option<(i64, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CitizenWork {
    pub wamid: String,
    pub phone: Option<String>,
    pub bsuid: Option<String>,
    pub profile_name: Option<String>,
    pub timestamp: Option<i64>,
    pub kind: Kind,
    pub reply_to: Option<String>,
    #[serde(default)]
    pub forwarded: bool,
    #[serde(default)]
    pub frequently_forwarded: bool,
    pub raw: Value,
    /// A subscription keyword: shown as a notice and answered by the bot.
    #[serde(default)]
    pub keyword: Option<Box<KeywordReply>>,
}

impl From<&InboundMessage> for CitizenWork {
    fn from(m: &InboundMessage) -> Self {
        CitizenWork {
            wamid: m.id.expose().to_owned(),
            phone: m.phone.as_ref().map(|p| p.expose().to_owned()),
            bsuid: m.bsuid.as_ref().map(|b| b.expose().to_owned()),
            profile_name: m.profile_name.clone(),
            timestamp: m.timestamp,
            kind: m.kind.clone(),
            reply_to: m.context.reply_to.as_ref().map(|r| r.expose().to_owned()),
            forwarded: m.context.forwarded,
            frequently_forwarded: m.context.frequently_forwarded,
            raw: m.raw.clone(),
            keyword: None,
        }
    }
}

impl CitizenWork {
    pub fn to_inbound(&self) -> InboundMessage {
        InboundMessage {
            id: WaMessageId::new(&self.wamid),
            phone: self.phone.as_deref().and_then(WaId::parse),
            bsuid: self.bsuid.as_deref().and_then(Bsuid::parse),
            profile_name: self.profile_name.clone(),
            timestamp: self.timestamp,
            kind: self.kind.clone(),
            context: Context {
                reply_to: self.reply_to.as_deref().map(WaMessageId::new),
                forwarded: self.forwarded,
                frequently_forwarded: self.frequently_forwarded,
            },
            raw: self.raw.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffWork {
    pub event_id: String,
    pub room_id: String,
    pub sender: String,
    pub event: Value,
    /// Set (and committed) just before the Graph API call. Found set after a restart, the
    /// call's outcome is unknown: it is reported, not repeated (Meta has no idempotency key).
    #[serde(default)]
    pub in_flight: bool,
    /// Failed attempts so far (transient errors).
    #[serde(default)]
    pub attempts: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeWork {
    pub room_id: String,
    pub text: String,
    /// An HTML rendering (tables), when the text is a list.
    #[serde(default)]
    pub html: Option<String>,
    pub reply_to: Option<String>,
    /// Transaction id, so a retried notice is posted once.
    pub txn_id: String,
}

impl NoticeWork {
    /// A notice replying to `event_id`; `kind` keeps the transaction ids of different notices
    /// about the same event apart (a retried notice is still posted once).
    pub fn reply(room_id: &str, event_id: &str, kind: &str, text: String) -> NoticeWork {
        NoticeWork {
            room_id: room_id.to_owned(),
            text,
            html: None,
            reply_to: Some(event_id.to_owned()),
            txn_id: crate::matrix::txn_id(kind, event_id),
        }
    }
}

impl Work {
    /// Whether this work's outcome may be committed soon rather than durably
    /// (`Store::commit_soon`): after a crash that loses it, doing the work again is found out.
    /// A citizen's message: its events carry their transaction ids and an item that may have
    /// run before is looked for in the room first; anything that cannot be repeated (an
    /// automatic reply to Meta) is a follow-up whose in-flight mark is a durable commit, which
    /// takes this outcome in with it.
    pub fn outcome_can_wait(&self) -> bool {
        matches!(self, Work::Citizen(_))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serialisable")
    }
    pub fn from_bytes(b: &[u8]) -> Result<Work, serde_json::Error> {
        serde_json::from_slice(b)
    }
}

/// What a command answers: text, optional HTML, and writes to commit with it (the command's
/// outcome and anything it queues, in one commit).
pub(in crate::bridge) struct Reply {
    pub text: String,
    pub html: Option<String>,
    pub ops: Vec<crate::store::Op>,
}

impl Reply {
    pub(in crate::bridge) fn text(text: String) -> Reply {
        Reply {
            text,
            html: None,
            ops: vec![],
        }
    }
}

/// The write that queues `text` to the citizen as if staff had typed it: it goes in the
/// same commit as the command's outcome, so a crash between the two cannot send it twice.
pub(in crate::bridge) fn queue_as_staff(
    store: &Store,
    citizen: &str,
    room_id: &str,
    c: &CommandWork,
    text: &str,
    now: u64,
) -> Op {
    let event = serde_json::json!({
        "type": "m.room.message",
        "event_id": c.event_id,
        "room_id": room_id,
        "sender": c.sender,
        "origin_server_ts": now * 1000,
        "content": {"msgtype": "m.text", "body": text},
    });
    let work = Work::Staff(StaffWork {
        event_id: c.event_id.clone(),
        room_id: room_id.to_owned(),
        sender: c.sender.clone(),
        event,
        in_flight: false,
        attempts: 0,
    });
    store.queue_push_op(citizen, &work.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queue's key is read once: the admin room's, a citizen's, or one a damaged store holds
    /// (kept as it is, so its items can be given up); shown masked.
    #[test]
    fn queue_keys_read_back_and_show_masked() {
        let anna = Queue::parse("p:393331234567");
        assert_eq!(anna.key(), "p:393331234567");
        assert_eq!(anna.to_string(), "+39•••4567");
        assert!(anna.citizen().is_some());
        assert_eq!(Queue::parse(ADMIN_QUEUE), Queue::Admin);
        assert_eq!(Queue::Admin.key(), ADMIN_QUEUE);
        let odd = Queue::parse("p:39333x");
        assert_eq!(odd, Queue::Unreadable("p:39333x".into()));
        assert_eq!(
            (odd.key().as_str(), odd.to_string().as_str()),
            ("p:39333x", "?")
        );
        assert!(odd.citizen().is_none());
    }
}
