//! What a broadcast costs, in the office's currency: the draft's estimate (billable templates
//! by category, free sends inside the window or from an ad) and the report's line counted from
//! Meta's own `pricing` on each delivered message's status, both priced by `[pricing]`.

use std::collections::BTreeMap;

use crate::bridge::news::News;
use crate::store::Bucket;

impl News {
    /// The preview's cost line: billable templates by category, free sends, the estimate.
    pub(in crate::bridge) fn cost_text(&self, e: &crate::pricing::Estimate) -> String {
        let pricing = &self.parts.config.raw.pricing;
        if !pricing.is_set() {
            return self.t("bc_cost_none", &[]);
        }
        let billable: Vec<String> = e
            .billable
            .iter()
            .map(|(category, n)| {
                self.t(
                    "bc_cost_category",
                    &[("n", &n.to_string()), ("category", category)],
                )
            })
            .collect();
        let lang = self.parts.texts.lang();
        let mut text = self.t(
            "bc_cost",
            &[
                (
                    "cost",
                    &crate::pricing::money(e.cost, &pricing.currency, lang),
                ),
                (
                    "billable",
                    &if billable.is_empty() {
                        self.t("none", &[])
                    } else {
                        billable.join(", ")
                    },
                ),
                ("free", &e.free.to_string()),
            ],
        );
        if e.unpriced > 0 {
            text.push(' ');
            text.push_str(&self.t("bc_cost_unpriced", &[("n", &e.unpriced.to_string())]));
        }
        text
    }

    /// What Meta says it charged for the delivered messages (each status's `pricing`), and
    /// what that costs by the `[pricing]` table; `None` before any priced status.
    pub(in crate::bridge) fn billed_text(&self, stats: &BTreeMap<String, u64>) -> Option<String> {
        let pricing = &self.parts.config.raw.pricing;
        let mut charged: BTreeMap<String, u64> = BTreeMap::new();
        let mut free: BTreeMap<String, u64> = BTreeMap::new();
        let mut cost = crate::pricing::Estimate::default();
        for (bucket, v) in Bucket::of(stats) {
            let Bucket::Priced {
                kind,
                category,
                country,
            } = bucket
            else {
                continue;
            };
            let regular = kind == "regular";
            *if regular { &mut charged } else { &mut free }
                .entry(category.clone())
                .or_default() += v;
            for _ in 0..v {
                cost.add(pricing, &category, Some(&country), !regular);
            }
        }
        if charged.is_empty() && free.is_empty() {
            return None;
        }
        let list = |m: &BTreeMap<String, u64>| {
            if m.is_empty() {
                self.t("none", &[])
            } else {
                m.iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let mut text = self.t(
            "bc_billed",
            &[("charged", &list(&charged)), ("free", &list(&free))],
        );
        if pricing.is_set() {
            text.push(' ');
            text.push_str(&self.t(
                "bc_billed_cost",
                &[(
                    "cost",
                    &crate::pricing::money(cost.cost, &pricing.currency, self.parts.texts.lang()),
                )],
            ));
            if cost.unpriced > 0 {
                text.push(' ');
                text.push_str(&self.t("bc_cost_unpriced", &[("n", &cost.unpriced.to_string())]));
            }
        }
        Some(text)
    }
}

/// The number a recipient is reached at (a business-scoped id has none: its country is not
/// known, so it is priced only by a `*` rate).
pub(in crate::bridge) fn number(to: &crate::ids::CitizenKey) -> Option<&str> {
    match to {
        crate::ids::CitizenKey::Phone(n) => Some(n.expose()),
        crate::ids::CitizenKey::Bsuid(_) => None,
    }
}
