use super::*;

fn placeholders(s: &str) -> Vec<&str> {
    let mut v: Vec<&str> = s
        .split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}').map(|(n, _)| n))
        .collect();
    v.sort();
    v
}

#[test]
fn every_text_has_both_languages_with_the_same_placeholders() {
    let mut keys = std::collections::HashSet::new();
    for (k, it, en) in rows() {
        assert!(keys.insert(k), "duplicate key {k}");
        assert!(!it.is_empty() && !en.is_empty(), "{k}");
        assert_eq!(placeholders(it), placeholders(en), "{k}");
    }
}

/// Every key the code asks for (`self.t("key"`, `t.get("key"`, literal keys) is in a catalog:
/// a missing one would show its bare key to staff or citizens.
#[test]
fn every_key_the_code_uses_exists() {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs")
                && !p.ends_with("texts/mod.rs")
                && !p.ends_with("texts/tests.rs")
            {
                out.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut sources = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    let mut checked = 0;
    for src in &sources {
        for call in ["self.t(", " t.get(", "texts.get("] {
            for (i, _) in src.match_indices(call) {
                let rest = src[i + call.len()..].trim_start();
                let Some(lit) = rest.strip_prefix('"') else {
                    continue;
                };
                let key = &lit[..lit.find('"').unwrap()];
                assert!(
                    Texts::known(key),
                    "text key \"{key}\" is used but not defined"
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} keys found: the scan is broken"
    );
}

#[test]
fn language_and_overrides() {
    let it = Texts::new(Lang::It, BTreeMap::new());
    assert_eq!(
        it.get("released", &[("count", "2")]),
        "Il cittadino ha scritto di nuovo: invio ora 2 messaggi in attesa."
    );
    let en = Texts::default();
    assert_eq!(
        en.get("released", &[("count", "2")]),
        "The citizen wrote again: sending the 2 held message(s) now."
    );
    let mine = Texts::new(
        Lang::It,
        BTreeMap::from([(
            "released".to_owned(),
            "Partono {count} messaggi.".to_owned(),
        )]),
    );
    assert_eq!(
        mine.get("released", &[("count", "3")]),
        "Partono 3 messaggi."
    );
    assert!(Texts::known("held") && !Texts::known("nope"));
}
