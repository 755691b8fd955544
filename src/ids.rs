//! Typed identifiers and their make/parse pairs: WhatsApp ids (`wa_id`, BSUID, wamid), the
//! citizen key that names a portal, and the ghost user ids derived from them.
//!
//! Stored formats are a contract: `CitizenKey::as_str` is a key in the store, and ghost
//! localparts and room aliases are visible on the homeserver. Phone numbers and wamids are
//! personal data: their `Debug` and `Display` are masked, use `expose()` where the real
//! value is needed (requests, storage), never in logs.

use std::fmt;

/// A WhatsApp phone number as Meta sends it (`wa_id`, `from`): E.164 digits without `+`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WaId(String);

impl WaId {
    /// Accepts 1–20 ASCII digits (test fixtures use short ones) (a leading `+` is dropped).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('+').unwrap_or(s);
        let ok = (1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| WaId(s.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// `+39 333 ••• 4567`-style: country-ish prefix and the last 4 digits.
    pub fn masked(&self) -> String {
        mask_digits(&self.0)
    }
}

fn mask_digits(d: &str) -> String {
    let n = d.len();
    let head = &d[..2.min(n)];
    let tail = &d[n.saturating_sub(4).max(2.min(n))..];
    format!("+{head}•••{tail}")
}

impl fmt::Debug for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WaId({})", self.masked())
    }
}
impl fmt::Display for WaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Meta's business-scoped user id (since 2026): `CC.` then up to 128 alphanumerics
/// (`US.13491208655302741918`); a parent id looks like `US.ENT.…`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bsuid(String);

impl Bsuid {
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('.');
        let cc = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        let ok = cc.len() == 2
            && cc.bytes().all(|b| b.is_ascii_uppercase())
            && !rest.is_empty()
            && rest.iter().all(|p| {
                !p.is_empty() && p.len() <= 128 && p.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        ok.then(|| Bsuid(s.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        let tail = &self.0[self.0.len().saturating_sub(4)..];
        format!("{}.…{tail}", &self.0[..2])
    }
}

impl fmt::Debug for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsuid({})", self.masked())
    }
}
impl fmt::Display for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Who a portal belongs to: the phone number when Meta gave one the first time we saw the
/// citizen, otherwise their BSUID. Later sightings under the other id are mapped to the same
/// key by the store's alias table, so a citizen keeps one room.
///
/// Stored (and serialised) in its store form, `p:<digits>` or `b:<bsuid>`; a malformed one
/// does not deserialise.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum CitizenKey {
    Phone(WaId),
    Bsuid(Bsuid),
}

impl CitizenKey {
    /// Store form: `p:<digits>` or `b:<bsuid>`.
    pub fn as_str(&self) -> String {
        match self {
            CitizenKey::Phone(w) => format!("p:{}", w.expose()),
            CitizenKey::Bsuid(b) => format!("b:{}", b.expose()),
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.split_once(':')? {
            ("p", d) => WaId::parse(d).map(CitizenKey::Phone),
            ("b", b) => Bsuid::parse(b).map(CitizenKey::Bsuid),
            _ => None,
        }
    }
    pub fn masked(&self) -> String {
        match self {
            CitizenKey::Phone(w) => w.masked(),
            CitizenKey::Bsuid(b) => b.masked(),
        }
    }
    /// The localpart after the ghost prefix: the digits for a phone number, `bsuid.` plus the
    /// BSUID with each upper-case letter written `_x` (Matrix localparts are lower-case).
    pub fn ghost_suffix(&self) -> String {
        match self {
            CitizenKey::Phone(w) => w.expose().to_owned(),
            CitizenKey::Bsuid(b) => {
                let mut out = String::from("bsuid.");
                for c in b.expose().chars() {
                    if c.is_ascii_uppercase() {
                        out.push('_');
                        out.push(c.to_ascii_lowercase());
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
    /// Inverse of [`CitizenKey::ghost_suffix`].
    pub fn from_ghost_suffix(s: &str) -> Option<Self> {
        if let Some(rest) = s.strip_prefix("bsuid.") {
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '_' => out.push(chars.next()?.to_ascii_uppercase()),
                    c if c.is_ascii_uppercase() => return None,
                    c => out.push(c),
                }
            }
            Bsuid::parse(&out).map(CitizenKey::Bsuid)
        } else {
            WaId::parse(s)
                .filter(|w| w.expose() == s)
                .map(CitizenKey::Phone)
        }
    }
}

impl TryFrom<String> for CitizenKey {
    type Error = String;

    fn try_from(s: String) -> Result<CitizenKey, String> {
        CitizenKey::parse(&s).ok_or_else(|| "not a citizen key".to_owned())
    }
}

impl From<CitizenKey> for String {
    fn from(k: CitizenKey) -> String {
        k.as_str()
    }
}

impl fmt::Debug for CitizenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Citizen({})", self.masked())
    }
}
impl fmt::Display for CitizenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A WhatsApp message id (`wamid.HBg…`). Opaque, of unbounded length, and it encodes the
/// counterpart's phone number: logged only as a short hash.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WaMessageId(String);

impl WaMessageId {
    pub fn new(s: impl Into<String>) -> Self {
        WaMessageId(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        use sha2::Digest;
        let h = sha2::Sha256::digest(self.0.as_bytes());
        format!("wamid#{}", hex::encode(&h[..4]))
    }
}

impl fmt::Debug for WaMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}
impl fmt::Display for WaMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks free text (error messages from Meta or the homeserver, a panic's message): every run
/// of 7 or more digits (error codes have at most 6; a phone number is longer) and every
/// WhatsApp message id (`wamid.…`, whose base64 encodes the citizen's number).
pub fn mask_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("wamid.") {
        out.push_str(&mask_digit_runs(&rest[..i]));
        let id_len = rest[i..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._-=+/".contains(c)))
            .unwrap_or(rest.len() - i);
        out.push_str(&WaMessageId::new(&rest[i..i + id_len]).masked());
        rest = &rest[i + id_len..];
    }
    out.push_str(&mask_digit_runs(rest));
    out
}

/// A name from outside (a message's `type`, a status) as it may be logged or counted: Meta's
/// are lowercase words; anything else (it could be anything a sender wrote) is `other`.
pub fn plain_word(s: &str) -> &str {
    let plain =
        !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if plain { s } else { "other" }
}

/// A parser's error message without the values it quotes (serde writes `invalid type: string
/// "Anna Rossi"` or ``invalid value: `…` ``, which may be a citizen's name or number): every
/// quoted or backticked stretch becomes `…`, except a field's name (`missing field `entry``);
/// then [`mask_text`].
pub fn without_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[i] as char;
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(quote) else {
            out.push('…');
            rest = "";
            break;
        };
        let inner = &after[..end];
        let a_field = out.ends_with("field ") && quote == '`';
        out.push(quote);
        out.push_str(if a_field { inner } else { "…" });
        out.push(quote);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    mask_text(&out)
}

fn mask_digit_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str(&mask_digits(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_lose_the_values_they_quote() {
        assert_eq!(
            without_values(
                "invalid type: string \"Anna Rossi 393331234567\", expected a sequence at line 1 column 40"
            ),
            "invalid type: string \"…\", expected a sequence at line 1 column 40"
        );
        assert_eq!(
            without_values("missing field `entry` at line 1 column 2"),
            "missing field `entry` at line 1 column 2"
        );
        assert_eq!(
            without_values("invalid value: integer `393331234567`, expected u8"),
            "invalid value: integer `…`, expected u8"
        );
        assert_eq!(without_values("unclosed \"Nicolò"), "unclosed …");
        assert_eq!(
            without_values("at 393331234567"),
            format!("at {}", mask_digits("393331234567"))
        );
    }

    proptest::proptest! {
        /// Nothing between quotes survives, whatever the message.
        #[test]
        fn no_quoted_value_survives(name in "[A-Za-zÀ-ú' ]{3,20}", before in "[a-z :]{0,12}") {
            let e = format!("{before}\"{name}\" and `{name}`");
            let out = without_values(&e);
            proptest::prop_assert!(!out.contains(&name), "{out}");
        }
    }

    /// A citizen key is stored in its store form; a malformed one is refused without
    /// quoting it (it may hold a number).
    #[test]
    fn citizen_keys_serialise_in_their_store_form() {
        let k = CitizenKey::parse("p:393331234567").unwrap();
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"p:393331234567\"");
        let back: CitizenKey = serde_json::from_str("\"b:US.13491208655302741918\"").unwrap();
        assert_eq!(back.as_str(), "b:US.13491208655302741918");
        let bad = serde_json::from_str::<CitizenKey>("\"x:393331234567\"").unwrap_err();
        assert!(!bad.to_string().contains("3331234567"), "{bad}");
    }

    #[test]
    fn wa_id_parse_and_mask() {
        let w = WaId::parse("+393331234567").unwrap();
        assert_eq!(w.expose(), "393331234567");
        assert_eq!(w.masked(), "+39•••4567");
        assert!(!format!("{w:?}").contains("3331234567"));
        assert!(WaId::parse("12ab5678").is_none());
        assert!(WaId::parse("").is_none());
        assert!(WaId::parse("123456789012345678901").is_none());
    }

    #[test]
    fn bsuid_parse() {
        assert!(Bsuid::parse("US.13491208655302741918").is_some());
        assert!(Bsuid::parse("US.ENT.abc123").is_some());
        assert!(Bsuid::parse("us.123").is_none());
        assert!(Bsuid::parse("US.").is_none());
        assert!(Bsuid::parse("US.12-3").is_none());
    }

    #[test]
    fn citizen_key_round_trips() {
        for k in [
            CitizenKey::Phone(WaId::parse("393331234567").unwrap()),
            CitizenKey::Bsuid(Bsuid::parse("IT.AbC9xYz").unwrap()),
        ] {
            assert_eq!(CitizenKey::parse(&k.as_str()), Some(k.clone()));
            let suffix = k.ghost_suffix();
            assert!(suffix.bytes().all(|b| !b.is_ascii_uppercase()), "{suffix}");
            assert_eq!(CitizenKey::from_ghost_suffix(&suffix), Some(k));
        }
        assert_eq!(
            CitizenKey::Bsuid(Bsuid::parse("IT.AbC9").unwrap()).ghost_suffix(),
            "bsuid._i_t._ab_c9"
        );
        assert!(CitizenKey::from_ghost_suffix("bot").is_none());
        assert!(CitizenKey::from_ghost_suffix("0039333").is_some());
    }

    #[test]
    fn wamid_is_masked() {
        let id = WaMessageId::new("wamid.HBgLMzkzMzMxMjM0NTY3FQIAEhgg");
        assert!(id.masked().starts_with("wamid#"));
        assert!(!format!("{id} {id:?}").contains("HBgL"));
    }

    #[test]
    fn mask_text_hides_numbers() {
        assert_eq!(
            mask_text("recipient 393331234567 failed (#131026)"),
            "recipient +39•••4567 failed (#131026)"
        );
        assert_eq!(mask_text("code 500"), "code 500");
        let wamid = "wamid.HBgLMzkzMzMxMjM0NTY3FQIAEhgUM0VCMEI5";
        let masked = mask_text(&format!("unknown {wamid}: È"));
        assert!(!masked.contains("HBgL"), "{masked}");
        assert!(
            masked.starts_with("unknown wamid#") && masked.ends_with(": È"),
            "{masked}"
        );
    }

    proptest::proptest! {
        /// No phone number or message id survives masking, whatever surrounds it.
        #[test]
        fn masked_text_shows_no_number_or_wamid(
            before in "[a-zÈè😀 ,.:(]{0,12}",
            number in "39[0-9]{8,11}",
            wamid in "wamid\\.[A-Za-z0-9=]{8,40}",
            after in "[a-zÈè😀 ,.:)]{0,12}",
        ) {
            let masked = mask_text(&format!("{before}{number}{after} {wamid}{after}"));
            proptest::prop_assert!(!masked.contains(&number), "{}", masked);
            proptest::prop_assert!(!masked.contains(&wamid), "{}", masked);
            proptest::prop_assert!(masked.contains(&before), "{}", masked);
        }
    }
}
