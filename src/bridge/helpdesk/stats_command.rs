//! `!stats [today|week|month|from..to]` in the admin room: how the office is doing over the
//! period, from the helpdesk's ledger (`stats.rs` counts it), the conversations waiting now
//! and the broadcasts started in the period — as an HTML table, with a table per staff member
//! for admins only.

use chrono::{TimeZone, Utc};

use crate::bridge::engine::command::{Answer, Call, Command, Run};
use crate::bridge::engine::failure::Failure;
use crate::bridge::engine::item::Reply;
use crate::bridge::engine::stall::age_words;
use crate::bridge::helpdesk::Helpdesk;
use crate::bridge::helpdesk::stats::{Figures, Period, PeriodError, Stats, broadcasts_in};
use crate::commands::{CommandSpec, Where, Who, html_table};
use crate::store::{FROM_PHONE, RETENTION};

/// A table: its plain-text lines and its HTML.
struct Table {
    text: String,
    html: String,
}

impl Helpdesk {
    fn stats(&self, call: Call<'_>) -> Result<Reply, Failure> {
        let period = match Period::parse(&call.p.args) {
            Ok(p) => p,
            Err(PeriodError::Unknown(a)) => {
                return Ok(Reply::text(self.t("stats_bad_period", &[("args", &a)])));
            }
            Err(PeriodError::Backwards) => return Ok(Reply::text(self.t("stats_backwards", &[]))),
        };
        let now_secs = self.parts.clock.unix();
        let now = Utc
            .timestamp_opt(now_secs as i64, 0)
            .single()
            .unwrap_or_default();
        let (from, to) = period.bounds(now, self.parts.config.timezone());
        let (from, to) = (from.timestamp().max(0) as u64, to.timestamp().max(0) as u64);
        let store = &self.parts.store;
        let mut entries = Vec::new();
        store.tallies(from, to, |t| entries.push(t))?;
        let stats = Stats::count(entries, &self.parts.config.schedule());
        let waiting = store.conversations_needing_answer()?.len();
        let (broadcasts, sent) = broadcasts_in(&store.broadcasts()?, from, to);
        let config = &self.parts.config;
        let mut title = self.t(
            "stats_title",
            &[
                ("from", &config.local_stamp(from)),
                ("to", &config.local_stamp(to)),
            ],
        );
        if from < now_secs.saturating_sub(RETENTION.ledger) {
            let days = (RETENTION.ledger / 86_400).to_string();
            title = format!(
                "{title}\n{}",
                self.t("stats_ledger_limit", &[("days", &days)])
            );
        }
        let mut rows = self.office_rows(&stats.all);
        rows.insert(3, vec![self.t("stats_waiting", &[]), waiting.to_string()]);
        rows.push(vec![
            self.t("stats_broadcasts", &[]),
            self.t(
                "stats_broadcasts_value",
                &[("n", &broadcasts.to_string()), ("sent", &sent.to_string())],
            ),
        ]);
        let heads = [
            self.t("stats_head_what", &[]),
            self.t("stats_head_value", &[]),
        ];
        let mut tables = vec![self.table(&heads, &rows)];
        if call.is_admin && !stats.staff.is_empty() {
            tables.push(self.staff_table(&stats));
        }
        let text = tables.iter().map(|t| t.text.as_str()).collect::<Vec<_>>();
        let html = tables.iter().map(|t| t.html.as_str()).collect::<Vec<_>>();
        let esc = crate::convert::markup::escape;
        Ok(Reply {
            text: format!("{title}\n{}", text.join("\n\n")),
            html: Some(format!(
                "<p>{}</p>{}",
                esc(&title).replace('\n', "<br>"),
                html.concat()
            )),
            ops: vec![],
        })
    }

    fn duration(&self, secs: Option<u64>) -> String {
        secs.map_or_else(|| "—".to_owned(), age_words)
    }

    fn office_rows(&self, f: &Figures) -> Vec<Vec<String>> {
        let ratings: Vec<String> = ["good", "ok", "bad"]
            .iter()
            .zip(f.ratings)
            .map(|(r, n)| format!("{} {n}", self.rating_words(r)))
            .collect();
        let row = |key: &str, value: String| vec![self.t(key, &[]), value];
        vec![
            row("stats_opened", f.opened.to_string()),
            row("stats_answered", f.answered.to_string()),
            row("stats_closed", f.closed.to_string()),
            row("stats_first_median", self.duration(f.first_response(0.5))),
            row("stats_first_p90", self.duration(f.first_response(0.9))),
            row("stats_held", f.held.to_string()),
            row("stats_satisfaction", ratings.join(" · ")),
        ]
    }

    fn staff_table(&self, stats: &Stats) -> Table {
        let heads = [
            "stats_head_staff",
            "stats_head_answers",
            "stats_answered",
            "stats_first_median",
            "stats_first_p90",
            "stats_closed",
            "stats_held",
        ]
        .map(|k| self.t(k, &[]));
        let rows: Vec<Vec<String>> = stats
            .staff
            .iter()
            .map(|(who, f)| {
                let who = match who.as_str() {
                    FROM_PHONE => self.t("stats_from_phone", &[]),
                    w => w.to_owned(),
                };
                vec![
                    who,
                    f.answers.to_string(),
                    f.answered.to_string(),
                    self.duration(f.first_response(0.5)),
                    self.duration(f.first_response(0.9)),
                    f.closed.to_string(),
                    f.held.to_string(),
                ]
            })
            .collect();
        let t = self.table(&heads, &rows);
        let title = self.t("stats_by_staff", &[]);
        let esc = crate::convert::markup::escape;
        Table {
            text: format!("{title}\n{}", t.text),
            html: format!("<p>{}</p>{}", esc(&title), t.html),
        }
    }

    fn table(&self, heads: &[String], rows: &[Vec<String>]) -> Table {
        let head: Vec<&str> = heads.iter().map(String::as_str).collect();
        let text = rows
            .iter()
            .map(|r| match r.as_slice() {
                [what, value] => format!("{what}: {value}"),
                cells => cells.join(" · "),
            })
            .collect::<Vec<_>>()
            .join("\n");
        Table {
            text,
            html: html_table(&head, rows),
        }
    }
}

fn stats<'a>(h: &'a Helpdesk, call: Call<'a>) -> Answer<'a> {
    Box::pin(async move { h.stats(call) })
}

pub(in crate::bridge) static COMMANDS: [Command<Helpdesk>; 1] = [Command {
    spec: CommandSpec {
        name: "stats",
        args: "[today|week|month|from..to]",
        help: "how the office is doing: conversations, first-response times, satisfaction",
        who: Who::Staff,
        place: Where::AdminRoom,
    },
    run: Run::Handler(stats),
}];
