//! Pure: what WhatsApp messages cost, from the office's `[pricing]` table (Meta's rates per
//! delivered template message, by category and the recipient's country calling code) — a
//! rate for a number, an estimate summed over recipients, and money in the office's language.
//! Nothing is assumed free or charged beyond what the table and Meta's own statuses say: a
//! message inside the 24-hour window is free unless the table gives `service` rates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::texts::Lang;

/// `[pricing]`: the currency and, per category, the rate by calling code (`"39"`), with `"*"`
/// for every other country.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub marketing: BTreeMap<String, f64>,
    #[serde(default)]
    pub utility: BTreeMap<String, f64>,
    #[serde(default)]
    pub authentication: BTreeMap<String, f64>,
    /// Messages inside the window (non-template), should Meta charge them: empty = free.
    #[serde(default)]
    pub service: BTreeMap<String, f64>,
}

impl Pricing {
    /// Whether any rate is given (without one, no estimate is made).
    pub fn is_set(&self) -> bool {
        !(self.marketing.is_empty() && self.utility.is_empty() && self.authentication.is_empty())
    }

    fn table(&self, category: &str) -> Option<&BTreeMap<String, f64>> {
        match category {
            "marketing" | "marketing_lite" => Some(&self.marketing),
            "utility" => Some(&self.utility),
            "authentication" | "authentication-international" => Some(&self.authentication),
            "service" => Some(&self.service),
            _ => None,
        }
    }

    /// The calling code of `number` the table knows (the longest that matches), else `*`.
    pub fn country(&self, number: &str) -> String {
        let codes = [
            &self.marketing,
            &self.utility,
            &self.authentication,
            &self.service,
        ];
        codes
            .iter()
            .flat_map(|t| t.keys())
            .filter(|k| *k != "*" && number.starts_with(k.as_str()))
            .max_by_key(|k| k.len())
            .cloned()
            .unwrap_or_else(|| "*".into())
    }

    /// The rate of a message of `category` to `number` (digits, no `+`); `None` when the table
    /// has none for that country (nor `*`).
    pub fn rate(&self, category: &str, number: &str) -> Option<f64> {
        let table = self.table(category)?;
        let code = self.country(number);
        table.get(&code).or_else(|| table.get("*")).copied()
    }

    /// Problems for `sportello check`.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.is_set() && self.currency.trim().is_empty() {
            p.push("pricing.currency must say the rates' currency (e.g. \"EUR\").".into());
        }
        for (name, t) in [
            ("marketing", &self.marketing),
            ("utility", &self.utility),
            ("authentication", &self.authentication),
            ("service", &self.service),
        ] {
            for (code, rate) in t {
                if code != "*" && (code.is_empty() || !code.chars().all(|c| c.is_ascii_digit())) {
                    p.push(format!(
                        "pricing.{name}: \"{code}\" is not a country calling code such as \"39\" (or \"*\")."
                    ));
                }
                if !rate.is_finite() || *rate < 0.0 {
                    p.push(format!(
                        "pricing.{name}.\"{code}\" must be a rate of 0 or more."
                    ));
                }
            }
        }
        p
    }
}

/// What a set of messages costs: counted by what they are, summed where a rate is known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    /// Billable messages by category, and their sum.
    pub billable: BTreeMap<String, u64>,
    pub cost: f64,
    /// Free: inside the window (while Meta does not charge it) or a free entry point.
    pub free: u64,
    /// Billable, but the table has no rate for their country or category.
    pub unpriced: u64,
}

impl Estimate {
    /// One message of `category` to `number`, billed unless `free`.
    pub fn add(&mut self, pricing: &Pricing, category: &str, number: Option<&str>, free: bool) {
        if free {
            self.free += 1;
            return;
        }
        *self.billable.entry(category.to_owned()).or_default() += 1;
        // Without a number (a business-scoped id) only a `*` rate applies.
        match pricing.rate(category, number.unwrap_or("")) {
            Some(r) => self.cost += r,
            None => self.unpriced += 1,
        }
    }

    /// A message inside the window: free, or billed as `service` when the table says so.
    pub fn add_inside(&mut self, pricing: &Pricing, number: Option<&str>) {
        let free = pricing.service.is_empty();
        self.add(pricing, "service", number, free);
    }
}

/// An amount as the office writes it: `3,45 EUR` in Italian, `3.45 EUR` in English; four
/// decimals below one cent.
pub fn money(amount: f64, currency: &str, lang: Lang) -> String {
    let digits = if amount != 0.0 && amount.abs() < 0.01 {
        4
    } else {
        2
    };
    let text = format!("{amount:.digits$}");
    let text = match lang {
        Lang::It => text.replace('.', ","),
        Lang::En => text,
    };
    format!("{text} {currency}").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing() -> Pricing {
        toml::from_str(
            r#"
currency = "EUR"
marketing = { "39" = 0.0572, "1" = 0.0250, "*" = 0.06 }
utility = { "39" = 0.0248 }
"#,
        )
        .unwrap()
    }

    #[test]
    fn rates_by_the_longest_calling_code_then_any_country() {
        let p = pricing();
        assert_eq!(p.rate("marketing", "393331234567"), Some(0.0572));
        assert_eq!(p.rate("marketing", "15551234567"), Some(0.025));
        assert_eq!(p.rate("marketing", "4915112345678"), Some(0.06), "*");
        assert_eq!(p.rate("utility", "4915112345678"), None, "no * for utility");
        assert_eq!(
            p.rate("service", "393331234567"),
            None,
            "free: no service rates"
        );
        assert_eq!(p.country("393331234567"), "39");
        assert!(p.problems().is_empty());
        let bad: Pricing = toml::from_str("marketing = { \"+39\" = -1.0 }").unwrap();
        assert_eq!(bad.problems().len(), 3, "{:?}", bad.problems());
    }

    #[test]
    fn an_estimate_counts_free_billable_and_unpriced() {
        let p = pricing();
        let mut e = Estimate::default();
        e.add(&p, "marketing", Some("393331234567"), false);
        e.add(&p, "marketing", Some("393331234568"), false);
        e.add(&p, "utility", Some("4915112345678"), false);
        e.add(&p, "marketing", Some("393331234569"), true);
        e.add_inside(&p, Some("393331234570"));
        e.add(&p, "marketing", None, false);
        assert_eq!(e.billable["marketing"], 3);
        assert_eq!((e.free, e.unpriced), (2, 1), "no utility rate for +49");
        assert!((e.cost - 0.1744).abs() < 1e-9, "{}", e.cost);
        assert_eq!(money(e.cost, "EUR", Lang::It), "0,17 EUR");
        assert_eq!(money(0.0048, "EUR", Lang::En), "0.0048 EUR");
        let charged = Pricing {
            service: [("39".to_owned(), 0.02)].into(),
            ..pricing()
        };
        let mut e = Estimate::default();
        e.add_inside(&charged, Some("393331234570"));
        assert_eq!((e.free, e.billable["service"]), (0, 1));
    }
}
