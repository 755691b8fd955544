//! Where each citizen's conversation stands for the office (the helpdesk): new, open,
//! waiting or closed, who handles it, and since when the citizen waits for an answer. One
//! record per citizen, written only by the helpdesk feature.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Op, R, Store, StoreError};

/// citizen key → JSON [`Conversation`].
pub(super) const CONVERSATIONS: &str = "citizen_conversation";

/// What happened in a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationEvent {
    CitizenWrote,
    StaffAnswered,
    /// A staff member takes it (`!claim`, `!assign`).
    Assign(String),
    Unassign,
    Close {
        by: String,
        note: Option<String>,
        /// The `!close` command's event (the closing messages' notice replies to it).
        #[serde(default)]
        event_id: Option<String>,
    },
    /// The citizen answered the satisfaction question (`good`, `ok`, `bad`).
    Rated(String),
    Reopen,
    Wait,
}

/// The state of a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConvState {
    /// The citizen wrote and no staff member answered yet.
    New,
    /// Staff answered; the conversation goes on.
    Open,
    /// Staff asked and wait for the citizen.
    Waiting,
    Closed,
}

impl ConvState {
    pub fn name(self) -> &'static str {
        match self {
            ConvState::New => "new",
            ConvState::Open => "open",
            ConvState::Waiting => "waiting",
            ConvState::Closed => "closed",
        }
    }
}

impl fmt::Display for ConvState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A citizen's conversation with the office.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub state: ConvState,
    /// The staff member handling it (a Matrix user id).
    #[serde(default)]
    pub assignee: Option<String>,
    /// When it entered its state (Unix seconds).
    pub since: u64,
    /// The citizen's first message not answered yet (Unix seconds): they wait since then.
    #[serde(default)]
    pub unanswered_since: Option<u64>,
    /// Who closed it, and their note.
    #[serde(default)]
    pub closed_by: Option<String>,
    #[serde(default)]
    pub close_note: Option<String>,
    /// The citizen's answer to the satisfaction question, if they gave one.
    #[serde(default)]
    pub satisfaction: Option<String>,
}

impl Conversation {
    /// A conversation the citizen just opened by writing.
    pub fn opened_by_citizen(at: u64) -> Conversation {
        Conversation {
            state: ConvState::New,
            assignee: None,
            since: at,
            unanswered_since: Some(at),
            closed_by: None,
            close_note: None,
            satisfaction: None,
        }
    }

    /// Whether staff owe the citizen an answer.
    pub fn needs_answer(&self) -> bool {
        self.state != ConvState::Closed && self.unanswered_since.is_some()
    }
}

impl Store {
    pub fn conversation(&self, citizen: &str) -> R<Option<Conversation>> {
        self.kv
            .get(CONVERSATIONS, citizen.as_bytes())?
            .map(|v| serde_json::from_slice(&v).map_err(StoreError::corrupt))
            .transpose()
    }

    pub fn conversation_op(citizen: &str, c: &Conversation) -> Op {
        Op::put(
            CONVERSATIONS,
            citizen.as_bytes(),
            serde_json::to_vec(c).unwrap_or_default(),
        )
    }

    /// Every conversation that needs an answer, with its citizen key (read in pages).
    pub fn conversations_needing_answer(&self) -> R<Vec<(String, Conversation)>> {
        let mut out = Vec::new();
        super::kv::each_page(&*self.kv, CONVERSATIONS, 1024, |page| {
            for (k, v) in page {
                let c: Conversation = serde_json::from_slice(v).map_err(StoreError::corrupt)?;
                if c.needs_answer() {
                    out.push((String::from_utf8_lossy(k).into_owned(), c));
                }
            }
            Ok(())
        })?;
        Ok(out)
    }
}
