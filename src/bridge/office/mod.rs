//! The office's own voice: automatic replies (welcome, out of hours, emergency, complaints
//! redirect), `!hours` and emergency mode, and the ready replies staff send by command.
//!
//! [`Office`] is the feature's handle: the config, the store, the texts and the clock, nothing
//! else. The portal asks it for the automatic reply to a citizen's message; the admin room
//! runs its commands.

pub(in crate::bridge) mod autoreply;
pub(in crate::bridge) mod hours_commands;
pub(in crate::bridge) mod ready_replies;

use std::sync::Arc;

use crate::bridge::engine::lent::Parts;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::texts::Texts;

pub(in crate::bridge) struct Office {
    config: Arc<Config>,
    store: Store,
    texts: Arc<Texts>,
    clock: SharedClock,
    /// Automatic replies are counted here.
    metrics: Arc<Metrics>,
}

impl Office {
    pub(in crate::bridge) fn new(p: &Parts) -> Office {
        Office {
            metrics: p.metrics.clone(),
            ..Office::from_parts(
                p.config.clone(),
                p.store.clone(),
                p.texts.clone(),
                p.clock.clone(),
            )
        }
    }

    fn from_parts(
        config: Arc<Config>,
        store: Store,
        texts: Arc<Texts>,
        clock: SharedClock,
    ) -> Office {
        Office {
            config,
            store,
            texts,
            clock,
            metrics: Arc::new(Metrics::new()),
        }
    }

    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.texts.get(key, args)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::clock::FixedClock;
    use crate::store::PortalRecord;

    /// The launch town's hours (the starter config's), in Rome time.
    fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Rome
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn office_at(t: DateTime<Utc>) -> (Office, Arc<FixedClock>) {
        let toml = crate::config::valid_test_toml();
        let config = crate::config::RawConfig::from_toml(&toml, "t", |_| None)
            .unwrap()
            .validate()
            .unwrap();
        let texts = Arc::new(config.texts());
        let clock = FixedClock::at(t);
        let office = Office::from_parts(Arc::new(config), Store::memory(), texts, clock.clone());
        (office, clock)
    }

    fn reply_text(office: &Office, portal: &mut PortalRecord, text: &str) -> Option<String> {
        office
            .auto_reply(portal, false, Some(text))
            .unwrap()
            .map(|r| r.messages[0].text_body().unwrap().to_owned())
    }

    /// Thursday 3 December 2026, 17:30: the afternoon opening (15–17) is over; the citizen is
    /// told when the office opens again, once for the closed period; on Friday morning, with
    /// the office open, nothing is sent.
    #[test]
    fn out_of_hours_reply_at_a_pinned_moment() {
        let (office, clock) = office_at(rome(2026, 12, 3, 17, 30));
        let mut portal = PortalRecord::new(
            &crate::ids::CitizenKey::parse("p:393331234567").unwrap(),
            "!r:x",
            "@g:x",
        );
        let first = reply_text(&office, &mut portal, "Buongiorno, è aperto l'ufficio?")
            .expect("welcome and closed notice");
        assert!(first.contains("Benvenuto"), "{first}");
        assert!(first.contains("venerdì 4 dicembre alle 9:00"), "{first}");
        clock.set(rome(2026, 12, 3, 19, 0));
        assert_eq!(
            reply_text(&office, &mut portal, "Grazie 🙏"),
            None,
            "told once"
        );
        // Counted for the metrics: one welcome, one out-of-hours notice, nothing else.
        let told = |kind| {
            office
                .metrics
                .auto_replies
                .get_or_create(&crate::metrics::KindLabel { kind })
                .get()
        };
        assert_eq!(
            (told("welcome"), told("closed"), told("emergency")),
            (1, 1, 0)
        );
        clock.set(rome(2026, 12, 4, 10, 0));
        assert_eq!(
            reply_text(&office, &mut portal, "Ci sono novità?"),
            None,
            "open"
        );
    }

    /// `!hours` says whether the office is open at the pinned moment and until when.
    #[test]
    fn hours_at_a_pinned_moment() {
        let (office, clock) = office_at(rome(2026, 12, 1, 16, 0));
        let open = office.hours_text().unwrap();
        clock.set(rome(2026, 12, 1, 13, 30));
        let closed = office.hours_text().unwrap();
        assert_ne!(open, closed);
        assert!(open.contains("17:00"), "{open}");
        assert!(closed.contains("15:00"), "{closed}");
    }
}
