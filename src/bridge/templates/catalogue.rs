//! Pure: the templates the bridge knows — Meta's list as last read, changed by the template
//! webhooks since — and choosing one by the name staff type or the config gives: a
//! `[templates.<key>]` entry (which may name a Meta template, and is all there is without
//! `whatsapp.business_account_id`) or a Meta template's own name. What a [`Chosen`] template
//! can carry, and the Cloud API template object that fills it.

use serde::{Deserialize, Serialize};

use crate::config::Template as ConfigTemplate;
use crate::whatsapp::message::{Component, Language, Parameter, Template};
use crate::whatsapp::templates::{
    Category, MetaTemplate, TemplateChange, TemplateEvent, TemplateStatus,
};

/// What the bridge knows of the account's templates, as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    /// When Meta's list was last read (Unix seconds); `None`: never.
    pub synced_at: Option<u64>,
    /// Why the last reading failed, if it did (cleared by the next that works).
    #[serde(default)]
    pub last_error: Option<String>,
    pub templates: Vec<MetaTemplate>,
}

/// What a sync changed, for the reply to `!templates sync` and the log.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// `name (lang): OLD → NEW`.
    pub changed: Vec<String>,
}

fn label(t: &MetaTemplate) -> String {
    format!("{} ({})", t.name, t.language)
}

impl Catalogue {
    /// A template by name: in `language` if given, else in the office's language (`it`
    /// matches `it` and `it_IT`), else the only one there is.
    pub fn find(&self, name: &str, language: &str, office: &str) -> Option<&MetaTemplate> {
        let same: Vec<&MetaTemplate> = self.templates.iter().filter(|t| t.name == name).collect();
        if !language.is_empty() {
            return same.into_iter().find(|t| t.language == language);
        }
        let base = |l: &str| l.split('_').next().unwrap_or("").to_owned();
        same.iter()
            .find(|t| t.language == office)
            .or_else(|| same.iter().find(|t| base(&t.language) == office))
            .or_else(|| (same.len() == 1).then(|| &same[0]))
            .copied()
    }

    /// Replaces the list with Meta's, keeping the quality webhooks told (the list may not carry
    /// it), and says what changed.
    pub fn replace(&mut self, mut listed: Vec<MetaTemplate>, at: u64) -> Changes {
        let mut c = Changes::default();
        for t in &mut listed {
            match self
                .templates
                .iter()
                .find(|o| o.name == t.name && o.language == t.language)
            {
                None => c.added.push(label(t)),
                Some(old) => {
                    if old.status != t.status {
                        c.changed
                            .push(format!("{}: {} → {}", label(t), old.status, t.status));
                    }
                    if t.quality.is_none() {
                        t.quality = old.quality.clone();
                    }
                }
            }
        }
        for old in &self.templates {
            if !listed
                .iter()
                .any(|t| t.name == old.name && t.language == old.language)
            {
                c.removed.push(label(old));
            }
        }
        listed.sort_by(|a, b| (&a.name, &a.language).cmp(&(&b.name, &b.language)));
        self.templates = listed;
        self.synced_at = Some(at);
        self.last_error = None;
        c
    }

    /// Applies a webhook's change to the template it names; false when it changes nothing
    /// known (a template the list has not shown yet is learnt at the next sync).
    pub fn apply(&mut self, e: &TemplateEvent) -> bool {
        let Some(t) = self
            .templates
            .iter_mut()
            .find(|t| t.name == e.name && (t.language == e.language || e.language.is_empty()))
        else {
            return false;
        };
        match &e.change {
            TemplateChange::Status { status, .. } if t.status != *status => {
                t.status = status.clone()
            }
            TemplateChange::Quality { new, .. } if t.quality.as_deref() != Some(new) => {
                t.quality = Some(new.clone())
            }
            // An impending change (`correct` given) is only announced: the category is still
            // `new` until it happens.
            TemplateChange::Category { new, .. } if t.category != *new => t.category = new.clone(),
            _ => return false,
        }
        true
    }
}

/// A template chosen for a send: what it is called at Meta and what it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Chosen {
    /// What staff typed or the config names (a config key, or Meta's name).
    pub key: String,
    pub name: String,
    pub language: String,
    pub named: bool,
    /// The attachment kind its header needs.
    pub media_header: Option<String>,
    /// Its text header's parameters, then its body's, in the order staff give them.
    pub header_params: Vec<String>,
    pub body_params: Vec<String>,
    pub url_button_params: usize,
    /// Unknown without Meta's list or a `category` in the config.
    pub category: Option<Category>,
    /// Meta's status, when the bridge has read it.
    pub status: Option<TemplateStatus>,
    pub quality: Option<String>,
    /// For the staff listing: the config's description, or the body's text.
    pub description: String,
}

/// Why a chosen template cannot go out now.
#[derive(Clone, Debug, PartialEq)]
pub enum Unusable {
    /// Meta does not have it approved (paused, rejected, disabled, …).
    NotApproved(TemplateStatus),
    /// Its quality is red: sending more risks its pause (broadcasts do not use it).
    RedQuality,
    /// Meta's list was read and does not have it.
    NotAtMeta,
}

impl Chosen {
    fn from_meta(key: &str, t: &MetaTemplate, description: &str) -> Chosen {
        Chosen {
            key: key.to_owned(),
            name: t.name.clone(),
            language: t.language.clone(),
            named: t.named,
            media_header: t.media_header().map(str::to_owned),
            header_params: t.header_params().to_vec(),
            body_params: t.body_params.clone(),
            url_button_params: t.url_button_params,
            category: Some(t.category.clone()),
            status: Some(t.status.clone()),
            quality: t.quality.clone(),
            description: if description.is_empty() {
                t.body.clone()
            } else {
                description.to_owned()
            },
        }
    }

    /// A config entry Meta's list does not (or not yet) show.
    fn from_config(key: &str, t: &ConfigTemplate) -> Chosen {
        Chosen {
            key: key.to_owned(),
            name: t.name.clone(),
            language: t.language.clone(),
            named: false,
            media_header: None,
            header_params: vec![],
            body_params: (1..=t.params).map(|n| n.to_string()).collect(),
            url_button_params: 0,
            category: (!t.category.is_empty()).then(|| Category::parse(&t.category)),
            status: None,
            quality: None,
            description: t.description.clone(),
        }
    }

    /// How many texts staff give: the header's parameters, then the body's.
    pub fn param_count(&self) -> usize {
        self.header_params.len() + self.body_params.len()
    }

    /// Whether Meta would take it now. `synced`: Meta's list has been read, so a template
    /// it does not show is not there.
    pub fn usable(&self, synced: bool, for_broadcast: bool) -> Result<(), Unusable> {
        match &self.status {
            Some(TemplateStatus::Approved) => {}
            Some(other) => return Err(Unusable::NotApproved(other.clone())),
            None if synced => return Err(Unusable::NotAtMeta),
            None => {}
        }
        if for_broadcast && self.quality.as_deref() == Some("RED") {
            return Err(Unusable::RedQuality);
        }
        Ok(())
    }

    /// The Cloud API template object: `texts` fill the header's parameters and then the
    /// body's (by name when the template's are named); `header` is the attachment of a media
    /// header.
    pub fn message(&self, texts: &[String], header: Option<Parameter>) -> Template {
        let param = |names: &[String], values: &[String]| -> Vec<Parameter> {
            names
                .iter()
                .zip(values)
                .map(|(name, text)| Parameter::Text {
                    text: text.clone(),
                    parameter_name: self.named.then(|| name.clone()),
                })
                .collect()
        };
        let split = self.header_params.len().min(texts.len());
        let mut components = Vec::new();
        let header_parameters = match header {
            Some(media) => vec![media],
            None => param(&self.header_params, &texts[..split]),
        };
        if !header_parameters.is_empty() {
            components.push(Component {
                part: "header".into(),
                parameters: header_parameters,
            });
        }
        let body = param(&self.body_params, &texts[split..]);
        if !body.is_empty() {
            components.push(Component {
                part: "body".into(),
                parameters: body,
            });
        }
        Template {
            name: self.name.clone(),
            language: Language {
                code: self.language.clone(),
            },
            components,
        }
    }
}

/// Chooses `key`: a config entry (Meta's template of that name completing it), else a Meta
/// template of that name in the office's language.
pub fn choose(
    catalogue: &Catalogue,
    config: &std::collections::BTreeMap<String, ConfigTemplate>,
    key: &str,
    office_language: &str,
) -> Option<Chosen> {
    if let Some(t) = config.get(key) {
        let found = catalogue.find(&t.name, &t.language, office_language);
        return Some(match found {
            Some(m) => Chosen::from_meta(key, m, &t.description),
            None if t.language.is_empty() => return None,
            // Not in Meta's list (or the list is not read): the config says what it takes.
            None => Chosen::from_config(key, t),
        });
    }
    catalogue
        .find(key, "", office_language)
        .map(|m| Chosen::from_meta(key, m, ""))
}

/// Every template staff can name: the config's keys and Meta's approved names, sorted, once.
pub fn names(
    catalogue: &Catalogue,
    config: &std::collections::BTreeMap<String, ConfigTemplate>,
    office_language: &str,
) -> Vec<Chosen> {
    let mut keys: Vec<&str> = config.keys().map(String::as_str).collect();
    let taken: Vec<&str> = config.values().map(|t| t.name.as_str()).collect();
    for t in &catalogue.templates {
        if t.status == TemplateStatus::Approved && !taken.contains(&t.name.as_str()) {
            keys.push(&t.name);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| choose(catalogue, config, k, office_language))
        .collect()
}

#[cfg(test)]
#[path = "catalogue_tests.rs"]
mod tests;
