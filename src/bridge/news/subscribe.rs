//! Subscriptions: a citizen's keyword or list pick changes their topics in the router, in the
//! same commit that takes their message from the inbox (so an opt-out holds before the next
//! broadcast send), with a consent-ledger line; the bot's answers (confirmation, privacy
//! policy, code of conduct, the MENU list) then go out through the citizen's queue and staff
//! see them as a notice. Meta's marketing stop/resume (`user_preferences`, error 131050) sets
//! a flag that keeps broadcasts away until the citizen resumes.

use std::sync::PoisonError;
use tracing::{info, warn};

use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::{BotSend, KeywordReply, NoticeWork, Work};
use crate::bridge::engine::router::Routed;
use crate::bridge::engine::worker::Step;
use crate::bridge::news::News;
use crate::keywords::{self, Channel, Intent, MenuTexts};
use crate::store::{ConsentEntry, Op, QueueItem, Store, StoreError, Subscription};
use crate::whatsapp::Handling;
use crate::whatsapp::message::Message;

fn text_message(body: String) -> Message {
    Message::text(body, true)
}

impl News {
    /// The policy versions in force, as the ledger records them.
    pub(in crate::bridge) fn policy_version(&self) -> String {
        let (privacy, conduct) = self.parts.config.raw.policies.versions();
        format!("privacy {privacy} · conduct {conduct}")
    }

    /// The privacy policy and the code of conduct as messages (those configured), and the
    /// line telling staff they were sent.
    fn policy_messages(&self) -> (Vec<Message>, String) {
        let p = &self.parts.config.raw.policies;
        let (privacy, conduct) = p.versions();
        let messages: Vec<Message> = [
            ("privacy_msg", &p.privacy, privacy),
            ("conduct_msg", &p.code_of_conduct, conduct),
        ]
        .into_iter()
        .filter(|(_, text, _)| !text.trim().is_empty())
        .map(|(key, text, v)| text_message(self.t(key, &[("version", v), ("text", text)])))
        .collect();
        let notice = if messages.is_empty() {
            String::new()
        } else {
            self.t(
                "kw_notice_policies",
                &[("privacy", privacy), ("conduct", conduct)],
            )
        };
        (messages, notice)
    }

    fn topic_names(&self) -> Vec<String> {
        let cfg = &self.parts.config.raw.subscriptions;
        cfg.topics.iter().map(|t| t.name.clone()).collect()
    }

    /// "eventi, bandi", or "all lists" when that is every topic.
    pub(in crate::bridge) fn topics_text(&self, topics: &[String]) -> String {
        let all = self.topic_names();
        if topics.is_empty()
            || (topics.len() == all.len() && all.iter().all(|t| topics.contains(t)))
        {
            self.t("all_topics", &[])
        } else {
            topics.join(", ")
        }
    }

    /// Applies a new subscription: the writes (index, record, ledger line), cached in `r`.
    fn write_subscription(
        &self,
        r: &mut Routed,
        citizen: &str,
        old: Option<&Subscription>,
        new: Subscription,
        entry: ConsentEntry,
    ) {
        r.ops.extend(Store::subscription_ops(citizen, old, &new));
        r.ops.push(self.parts.store.consent_op(citizen, &entry));
        r.subs.insert(citizen.to_owned(), Some(new));
    }

    /// Router: a keyword or list pick from `citizen`. Returns what the bot answers.
    pub(in crate::bridge) fn apply_intent(
        &self,
        r: &mut Routed,
        citizen: &str,
        wamid: Option<&str>,
        intent: Intent,
        channel: Channel,
        staff: Option<(&str, &str)>,
    ) -> Result<KeywordReply, StoreError> {
        let old = r.subscription(&self.parts.store, citizen)?;
        let change = Change {
            citizen,
            old: old.as_ref(),
            entry: ConsentEntry {
                at: self.now_secs(),
                action: String::new(),
                topics: vec![],
                channel: channel.as_str().into(),
                wamid: wamid.map(str::to_owned),
                policy_version: self.policy_version(),
                by: staff.map(|s| s.0.to_owned()),
                note: staff.map(|s| s.1.to_owned()),
            },
        };
        let (messages, extra) = match intent {
            Intent::Subscribe(t) => self.subscribe_to(r, &change, t),
            Intent::Unsubscribe(t) => (self.unsubscribe_from(r, &change, t), String::new()),
            Intent::Menu => (vec![self.menu_message(old.as_ref())], String::new()),
            Intent::UnknownTopics(words) => {
                let order = self.topic_names();
                let example = order.first().cloned().unwrap_or_default().to_uppercase();
                let m = text_message(self.t(
                    "sub_unknown",
                    &[
                        ("words", &words.join(" ")),
                        ("topics", &order.join(", ")),
                        ("example", &example),
                    ],
                ));
                (vec![m], String::new())
            }
        };
        let shown = match messages.first() {
            Some(Message::Interactive { .. }) => self.t("kw_menu", &[]),
            Some(m) => m.text_body().unwrap_or_default().to_owned(),
            None => String::new(),
        };
        let mut notice = self.t(
            "kw_notice",
            &[("channel", channel.as_str()), ("reply", &shown)],
        );
        if !extra.is_empty() {
            notice = format!("{notice}\n{extra}");
        }
        Ok(KeywordReply {
            notice,
            messages,
            channel: channel.as_str().into(),
        })
    }

    /// ISCRIVIMI (all topics when none is named): the confirmation, and the policies the first
    /// time or when their version changed (with a line for staff). Returns the messages and
    /// that line.
    fn subscribe_to(
        &self,
        r: &mut Routed,
        change: &Change<'_>,
        topics: Vec<String>,
    ) -> (Vec<Message>, String) {
        let order = self.topic_names();
        let current = change.old.cloned().unwrap_or_default();
        let wanted = if topics.is_empty() {
            order.clone()
        } else {
            topics
        };
        let added: Vec<String> = wanted
            .iter()
            .filter(|x| !current.topics.contains(x))
            .cloned()
            .collect();
        if added.is_empty() && !current.marketing_stopped {
            let topics = self.topics_text(&wanted);
            let m = text_message(self.t("sub_already", &[("topics", &topics)]));
            return (vec![m], String::new());
        }
        let mut new = current.clone();
        new.topics.extend(added.iter().cloned());
        new.topics
            .sort_by_key(|x| order.iter().position(|o| o == x).unwrap_or(usize::MAX));
        new.marketing_stopped = false;
        let version = self.policy_version();
        let send_policies = new.policies_sent.as_deref() != Some(version.as_str());
        new.policies_sent = Some(version);
        let topics = self.topics_text(&new.topics);
        let mut messages = vec![text_message(self.t("sub_confirm", &[("topics", &topics)]))];
        let mut extra = String::new();
        if send_policies {
            let (policies, notice) = self.policy_messages();
            messages.extend(policies);
            extra = notice;
        }
        let topics = if added.is_empty() { wanted } else { added };
        self.write_subscription(
            r,
            change.citizen,
            change.old,
            new,
            change.entry("subscribe", topics),
        );
        (messages, extra)
    }

    /// CANCELLAMI (all topics when none is named): the confirmation, with what remains.
    fn unsubscribe_from(
        &self,
        r: &mut Routed,
        change: &Change<'_>,
        topics: Vec<String>,
    ) -> Vec<Message> {
        let current = change.old.cloned().unwrap_or_default();
        let leaving: Vec<String> = current
            .topics
            .iter()
            .filter(|x| topics.is_empty() || topics.contains(x))
            .cloned()
            .collect();
        if leaving.is_empty() {
            let topics = self.topics_text(&topics);
            return vec![text_message(self.t("unsub_none", &[("topics", &topics)]))];
        }
        let mut new = current.clone();
        new.topics.retain(|x| !leaving.contains(x));
        let remaining = if new.topics.is_empty() {
            String::new()
        } else {
            let topics = new.topics.join(", ");
            self.t("unsub_remaining", &[("topics", &topics)])
        };
        let topics = self.topics_text(&leaving);
        let m = text_message(self.t(
            "unsub_confirm",
            &[("topics", &topics), ("remaining", &remaining)],
        ));
        self.write_subscription(
            r,
            change.citizen,
            change.old,
            new,
            change.entry("unsubscribe", leaving),
        );
        vec![m]
    }

    /// MENU: the list message of topics, saying what the citizen follows now.
    fn menu_message(&self, current: Option<&Subscription>) -> Message {
        let cfg = &self.parts.config.raw;
        let now = match current.filter(|c| !c.topics.is_empty()) {
            None => String::new(),
            Some(c) => {
                let topics = self.topics_text(&c.topics);
                self.t("menu_current", &[("topics", &topics)])
            }
        };
        let t = |k: &str| self.t(k, &[]);
        let texts = MenuTexts {
            body: self.t(
                "menu_body",
                &[("office", &cfg.office.name), ("current", &now)],
            ),
            button: t("menu_button"),
            section_topics: t("menu_section_topics"),
            section_other: t("menu_section_other"),
            all: t("menu_all"),
            all_description: t("menu_all_desc"),
            unsubscribe_all: t("menu_unsub"),
            unsubscribe_description: t("menu_unsub_desc"),
        };
        let list = keywords::menu(&cfg.subscriptions, &texts);
        Message::Interactive { interactive: list }
    }

    /// Router: Meta says the citizen stopped (or resumed) marketing messages.
    pub(in crate::bridge) fn apply_marketing(
        &self,
        r: &mut Routed,
        citizen: &str,
        stop: bool,
        channel: &str,
    ) -> Result<(), StoreError> {
        let old = r.subscription(&self.parts.store, citizen)?;
        let mut new = old.clone().unwrap_or_default();
        if new.marketing_stopped == stop && old.is_some() {
            return Ok(());
        }
        new.marketing_stopped = stop;
        let entry = ConsentEntry {
            at: self.now_secs(),
            action: if stop {
                "marketing_stop"
            } else {
                "marketing_resume"
            }
            .into(),
            topics: new.topics.clone(),
            channel: channel.into(),
            wamid: None,
            policy_version: self.policy_version(),
            by: None,
            note: None,
        };
        info!(channel, stop, "marketing preference recorded");
        self.write_subscription(r, citizen, old.as_ref(), new, entry);
        if let Some(p) = self.parts.store.portal(citizen)? {
            let text = self.t(if stop { "pref_stop" } else { "pref_resume" }, &[]);
            let work = Work::Notice(NoticeWork {
                room_id: p.room_id,
                text,
                html: None,
                reply_to: None,
                txn_id: crate::matrix::txn_id(
                    "pref",
                    &format!("{citizen}|{stop}|{}", self.now_secs()),
                ),
            });
            r.push(&self.parts.store, citizen, &work);
        }
        Ok(())
    }

    /// Outside the router (a broadcast's send refused with 131050): the same change, committed
    /// under the subscription lock.
    pub(in crate::bridge) fn marketing_stopped_now(&self, citizen: &str) -> Result<(), StoreError> {
        self.change_subscriptions_now(|r| self.apply_marketing(r, citizen, true, "error_131050"))
    }

    /// A subscription change made outside the router (a staff command, a broadcast's
    /// refusal): written by `change` as the router would, under the subscriptions' lock, in
    /// one commit, the queues it wrote to woken after.
    pub(in crate::bridge) fn change_subscriptions_now<T, E: From<StoreError>>(
        &self,
        change: impl FnOnce(&mut Routed) -> Result<T, E>,
    ) -> Result<T, E> {
        let _guard = self
            .subs_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut r = Routed::default();
        let out = change(&mut r)?;
        self.parts.store.commit(r.ops)?;
        for c in r.wake {
            self.parts.wake.queue(c);
        }
        Ok(out)
    }

    /// Worker: sends the bot's answers one by one, then tells staff in the room.
    pub(in crate::bridge) async fn bot_send(
        &self,
        item: &QueueItem,
        mut b: BotSend,
    ) -> Result<Step, Failure> {
        if b.next >= b.reply.messages.len() {
            let mut text = b.reply.notice.clone();
            for f in &b.failures {
                text = format!("{text}\n{}", self.t("kw_not_sent", &[("reason", f)]));
            }
            let n = NoticeWork::reply(&b.room_id, &b.event_id, "kw", text);
            return Ok(Step::Then(Work::Notice(n), vec![]));
        }
        if b.in_flight {
            warn!("the bridge stopped while sending an automatic answer; not sent again");
            b.failures.push(self.t("graph_timeout", &[]));
            b.next += 1;
            b.in_flight = false;
            return Ok(Step::Then(Work::BotSend(Box::new(b)), vec![]));
        }
        let Some((_, to)) = self.portals.recipient(&b.room_id)? else {
            return Ok(Step::Done(vec![]));
        };
        let m = b.reply.messages[b.next].clone();
        b.in_flight = true;
        let marked: Op =
            Store::queue_update_op(item, Work::BotSend(Box::new(b.clone())).to_bytes());
        self.parts.store.commit(vec![marked])?;
        b.in_flight = false;
        match self.parts.graph.send(&to, &m, None).await {
            Ok(sent) => {
                info!(wamid = %sent.id, "automatic answer sent");
                b.next += 1;
            }
            Err(e) if matches!(e.handling(), Handling::Retry | Handling::Recipient) => {
                return Err(
                    Failure::transient(e.to_string()).with_update(Work::BotSend(Box::new(b)))
                );
            }
            Err(e) => {
                b.failures.push(e.explain(&self.parts.texts));
                b.next += 1;
            }
        }
        Ok(Step::Then(Work::BotSend(Box::new(b)), vec![]))
    }
}

/// A subscription about to change: whose, as it was, and the consent line to write with it.
struct Change<'a> {
    citizen: &'a str,
    old: Option<&'a Subscription>,
    entry: ConsentEntry,
}

impl Change<'_> {
    fn entry(&self, action: &str, topics: Vec<String>) -> ConsentEntry {
        ConsentEntry {
            action: action.into(),
            topics,
            ..self.entry.clone()
        }
    }
}
