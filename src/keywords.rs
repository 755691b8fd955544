//! What a citizen's message means for their news subscription: a keyword (ISCRIVIMI
//! [topics], CANCELLAMI [topics], STOP, MENU — case and accents ignored, Italian and English)
//! or a pick from the MENU list message; and the list message itself. Pure: no I/O.

use serde_json::Value;

use crate::config::{Subscriptions, Topic};
use crate::whatsapp::kind::Kind;
use crate::whatsapp::message::{Body, Interactive, ListAction, Row, Section};

/// The prefix of the list rows' ids, so other interactive replies are not taken for picks.
const ROW_PREFIX: &str = "sportello:";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Join these topics (configured names); empty = every topic.
    Subscribe(Vec<String>),
    /// Leave these topics; empty = every topic.
    Unsubscribe(Vec<String>),
    /// Send the list of topics.
    Menu,
    /// A keyword followed by words that are not topics.
    UnknownTopics(Vec<String>),
}

/// How the citizen asked (recorded in the consent ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Keyword,
    List,
    /// A staff member, at the citizen's request (with a note).
    Staff,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Keyword => "keyword",
            Channel::List => "list",
            Channel::Staff => "staff",
        }
    }
}

/// Lower case without accents or surrounding punctuation: "Viabilità!" → "viabilita".
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'ñ' => 'n',
            c => c,
        })
        .collect::<String>()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_owned()
}

/// Whether a message contains one of `phrases` (a citizen's request, "CANCELLA I MIEI DATI"):
/// its words, in order and together, accents, case and punctuation ignored.
pub fn contains_phrase(text: &str, phrases: &[String]) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .map(fold)
            .filter(|w| !w.is_empty())
            .collect()
    };
    let have = words(text);
    phrases
        .iter()
        .map(|p| words(p))
        .filter(|p| !p.is_empty())
        .any(|p| have.windows(p.len()).any(|w| w == p.as_slice()))
}

/// Little words people put between the keyword and the topics ("iscrivimi a eventi e bandi").
const FILLERS: &[&str] = &[
    "a", "ad", "al", "alla", "alle", "ai", "agli", "e", "da", "dal", "dalla", "dalle", "dai", "di",
    "per", "me", "mi", "la", "le", "lista", "liste", "to", "from", "and", "the", "list", "lists",
    "please",
];
pub const ALL: &[&str] = &["tutte", "tutto", "tutti", "all", "everything"];

/// The configured topic a word names ("Viabilita" → "viabilità").
pub fn topic_named<'a>(topics: &'a [Topic], word: &str) -> Option<&'a Topic> {
    topics.iter().find(|t| fold(&t.name) == word)
}

/// The intent of a text message, if it is a keyword message.
pub fn text_intent(text: &str, cfg: &Subscriptions) -> Option<Intent> {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    let (first, rest) = words.split_first()?;
    let is = |list: &[String]| list.iter().any(|k| fold(k) == *first);
    let subscribe = is(&cfg.subscribe_keywords);
    let unsubscribe = is(&cfg.unsubscribe_keywords);
    if is(&cfg.menu_keywords) && rest.is_empty() {
        return Some(Intent::Menu);
    }
    if !subscribe && !unsubscribe {
        return None;
    }
    let mut topics = Vec::new();
    let mut unknown = Vec::new();
    for w in rest {
        if FILLERS.contains(&w.as_str()) || ALL.contains(&w.as_str()) {
            continue;
        }
        match topic_named(&cfg.topics, w) {
            Some(t) if !topics.contains(&t.name) => topics.push(t.name.clone()),
            Some(_) => {}
            None => unknown.push(w.clone()),
        }
    }
    if !unknown.is_empty() {
        // "stop sending me this, it's wrong" is a message for the staff, not a keyword.
        return (words.len() <= 3).then_some(Intent::UnknownTopics(unknown));
    }
    Some(if subscribe {
        Intent::Subscribe(topics)
    } else {
        Intent::Unsubscribe(topics)
    })
}

/// The intent of a list/button reply picked from the MENU.
pub fn choice_intent(id: &str, cfg: &Subscriptions) -> Option<Intent> {
    let rest = id.strip_prefix(ROW_PREFIX)?;
    let (action, topic) = rest.split_once(':')?;
    let topics = if topic == "*" {
        vec![]
    } else {
        vec![topic_named(&cfg.topics, &fold(topic))?.name.clone()]
    };
    match action {
        "sub" => Some(Intent::Subscribe(topics)),
        "unsub" => Some(Intent::Unsubscribe(topics)),
        _ => None,
    }
}

/// A citizen message's subscription intent: a text keyword or a pick from the list.
pub fn intent(kind: &Kind, raw: &Value, cfg: &Subscriptions) -> Option<(Intent, Channel)> {
    match kind {
        Kind::Text => {
            text_intent(raw["text"]["body"].as_str()?, cfg).map(|i| (i, Channel::Keyword))
        }
        Kind::Interactive => {
            let i = &raw["interactive"];
            let id = i["list_reply"]["id"]
                .as_str()
                .or(i["button_reply"]["id"].as_str())?;
            choice_intent(id, cfg).map(|i| (i, Channel::List))
        }
        // Quick-reply buttons of templates carry their text as payload.
        Kind::Button => {
            text_intent(raw["button"]["text"].as_str()?, cfg).map(|i| (i, Channel::List))
        }
        _ => None,
    }
}

/// Words of the list message, in the office's language.
pub struct MenuTexts {
    pub body: String,
    pub button: String,
    pub section_topics: String,
    pub section_other: String,
    pub all: String,
    pub all_description: String,
    pub unsubscribe_all: String,
    pub unsubscribe_description: String,
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}

/// The `interactive` object of the MENU list message (≤ 10 rows, as WhatsApp requires).
pub fn menu(cfg: &Subscriptions, t: &MenuTexts) -> Interactive {
    let row = |id: String, title: &str, description: &str| Row {
        id,
        title: cut(title, 24),
        description: cut(description, 72),
    };
    let topics = cfg
        .topics
        .iter()
        .take(8)
        .map(|topic| {
            row(
                format!("{ROW_PREFIX}sub:{}", topic.name),
                &topic.name,
                &topic.description,
            )
        })
        .collect();
    let other = vec![
        row(format!("{ROW_PREFIX}sub:*"), &t.all, &t.all_description),
        row(
            format!("{ROW_PREFIX}unsub:*"),
            &t.unsubscribe_all,
            &t.unsubscribe_description,
        ),
    ];
    Interactive::List {
        body: Body {
            text: cut(&t.body, 1024),
        },
        action: ListAction {
            button: cut(&t.button, 20),
            sections: vec![
                Section {
                    title: cut(&t.section_topics, 24),
                    rows: topics,
                },
                Section {
                    title: cut(&t.section_other, 24),
                    rows: other,
                },
            ],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Subscriptions {
        Subscriptions::default()
    }

    #[test]
    fn keywords_ignore_case_accents_and_punctuation() {
        let c = cfg();
        assert_eq!(
            text_intent("ISCRIVIMI", &c),
            Some(Intent::Subscribe(vec![]))
        );
        assert_eq!(
            text_intent("  Iscrivimi a Viabilita e EVENTI! ", &c),
            Some(Intent::Subscribe(vec!["viabilità".into(), "eventi".into()]))
        );
        assert_eq!(
            text_intent("cancellami bandi", &c),
            Some(Intent::Unsubscribe(vec!["bandi".into()]))
        );
        assert_eq!(text_intent("Stop.", &c), Some(Intent::Unsubscribe(vec![])));
        assert_eq!(
            text_intent("STOP ALL", &c),
            Some(Intent::Unsubscribe(vec![]))
        );
        assert_eq!(text_intent("Menù", &c), Some(Intent::Menu));
        assert_eq!(
            text_intent("subscribe events", &c),
            Some(Intent::UnknownTopics(vec!["events".into()]))
        );
        assert_eq!(
            text_intent("unsubscribe", &c),
            Some(Intent::Unsubscribe(vec![]))
        );
    }

    #[test]
    fn ordinary_messages_are_not_keywords() {
        let c = cfg();
        for m in [
            "Buongiorno, a che ora apre l'anagrafe?",
            "stop ai lavori in via Roma quando finiscono?",
            "menu della mensa scolastica",
        ] {
            assert_eq!(text_intent(m, &c), None, "{m}");
        }
    }

    #[test]
    fn list_picks_and_menu_shape() {
        let c = cfg();
        assert_eq!(
            choice_intent("sportello:sub:viabilità", &c),
            Some(Intent::Subscribe(vec!["viabilità".into()]))
        );
        assert_eq!(
            choice_intent("sportello:unsub:*", &c),
            Some(Intent::Unsubscribe(vec![]))
        );
        assert_eq!(choice_intent("other:sub:eventi", &c), None);
        assert_eq!(choice_intent("sportello:sub:pizza", &c), None);
        let t = MenuTexts {
            body: "Scegli".into(),
            button: "Liste".into(),
            section_topics: "Notizie".into(),
            section_other: "Altro".into(),
            all: "Tutte le liste".into(),
            all_description: "x".into(),
            unsubscribe_all: "Cancellami da tutto".into(),
            unsubscribe_description: "y".into(),
        };
        let m = serde_json::to_value(menu(&c, &t)).unwrap();
        assert_eq!(m["type"], "list", "{m}");
        let rows: usize = m["action"]["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["rows"].as_array().unwrap().len())
            .sum();
        assert_eq!(rows, 8);
        for s in m["action"]["sections"].as_array().unwrap() {
            for r in s["rows"].as_array().unwrap() {
                assert!(r["title"].as_str().unwrap().chars().count() <= 24);
                let id = r["id"].as_str().unwrap();
                assert!(choice_intent(id, &c).is_some(), "{id}");
            }
        }
    }
}
