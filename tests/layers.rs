//! The shape ARCHITECTURE.md promises, checked: every file under `src/` may name only the
//! modules its lines in the "Allowed directions" block allow; no file is over 500 lines and no
//! function over 80 (tables are statics and constants, not functions).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FEATURES: [&str; 6] = ["engine", "portal", "news", "office", "admin", "health"];

/// `module → allowed targets`, from the block between the `layers` markers.
fn rules(architecture: &str) -> BTreeMap<String, Vec<String>> {
    let begin = architecture
        .find("<!-- layers: begin -->")
        .expect("the layers block");
    let end = architecture
        .find("<!-- layers: end -->")
        .expect("the end of the layers block");
    architecture[begin..end]
        .lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(m, _)| !m.starts_with("<!--"))
        .map(|(m, t)| {
            (
                m.trim().to_owned(),
                t.split_whitespace().map(str::to_owned).collect(),
            )
        })
        .collect()
}

/// The bridge's fields that hold a feature's handle: reaching one (`self.inner.news`) is a
/// use of that feature, as much as an import is.
const HANDLES: [(&str, &str); 5] = [
    ("health", "health"),
    ("portals", "portal"),
    ("news", "news"),
    ("office", "office"),
    ("admin", "admin"),
];

/// The features a file reaches through the bridge's fields (`.inner.news`, however the
/// chain is wrapped over lines).
fn handle_uses(code: &str) -> Vec<String> {
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .map(str::trim)
        .collect();
    let mut out = Vec::new();
    for (field, feature) in HANDLES {
        let reach = format!(".inner.{field}");
        let found = code.match_indices(&reach).any(|(i, _)| {
            !code[i + reach.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        });
        if found {
            out.push(format!("bridge/{feature}"));
        }
    }
    out
}

/// The modules a file's code names: `crate::x` as `x`, `crate::bridge::<feature>` as
/// `bridge/<feature>`, a feature's handle reached through the bridge as that feature.
/// Comments are not code.
fn targets(code: &str) -> Vec<String> {
    let mut out = handle_uses(code);
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let target = match name.as_str() {
                "bridge" => {
                    let after = rest["bridge".len()..].strip_prefix("::").unwrap_or("");
                    let sub: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if FEATURES.contains(&sub.as_str()) {
                        format!("bridge/{sub}")
                    } else {
                        "bridge".to_owned()
                    }
                }
                "" => continue,
                n => n.to_owned(),
            };
            if !out.contains(&target) {
                out.push(target);
            }
        }
    }
    out
}

/// What is wrong with one file (`path` relative to `src/`, with `/`): targets no covering
/// line allows, or no covering line at all.
fn problems(rules: &BTreeMap<String, Vec<String>>, path: &str, code: &str) -> Vec<String> {
    let covering: Vec<&Vec<String>> = rules
        .iter()
        .filter(|(m, _)| path == m.as_str() || path.starts_with(&format!("{m}/")))
        .map(|(_, t)| t)
        .collect();
    if covering.is_empty() {
        return vec![format!(
            "{path}: no line of ARCHITECTURE.md's allowed directions covers it"
        )];
    }
    if covering.iter().any(|t| t.iter().any(|x| x == "*")) {
        return vec![];
    }
    let own = path.split('/').next().unwrap_or("").trim_end_matches(".rs");
    let mut wrong = Vec::new();
    if path.starts_with("bridge/") && code.contains("super::super::") {
        wrong.push(format!(
            "{path}: names a module through super::super:: (use crate:: paths)"
        ));
    }
    for t in targets(code) {
        let own_feature = path
            .strip_prefix("bridge/")
            .and_then(|p| p.split('/').next())
            .is_some_and(|f| t == format!("bridge/{f}"));
        if t == own || own_feature || covering.iter().any(|allowed| allowed.contains(&t)) {
            continue;
        }
        wrong.push(format!("{path} uses {t}, which its layer may not"));
    }
    wrong
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_in_the_allowed_directions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let architecture =
        std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let rules = rules(&architecture);
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 50, "the sources were found");
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let code = std::fs::read_to_string(f).unwrap();
        wrong.extend(problems(&rules, &rel, &code));
    }
    assert!(
        wrong.is_empty(),
        "imports against ARCHITECTURE.md:\n{}",
        wrong.join("\n")
    );
}

/// The check itself: it sees a feature calling back up, an outer module reaching into the
/// bridge, a file no line covers, and lets the allowed directions through.
#[test]
fn the_check_finds_imports_against_the_rules() {
    let rules = rules(
        "<!-- layers: begin -->\nbridge: store\nbridge/portal: bridge/engine\nbridge/admin: bridge/portal\nmatrix:\n<!-- layers: end -->",
    );
    let portal = "use crate::bridge::engine::item::Work;\nuse crate::store::Store;\n";
    assert!(problems(&rules, "bridge/portal/inbound.rs", portal).is_empty());
    let upward = "use crate::bridge::admin::room::Reply;\n// crate::bridge::news in a comment\n";
    let reached =
        "self\n    .inner\n    .admin\n    .run_command(c)\n// self.inner.news in a comment\n";
    assert_eq!(
        problems(&rules, "bridge/portal/inbound.rs", reached),
        vec!["bridge/portal/inbound.rs uses bridge/admin, which its layer may not"]
    );
    assert!(
        problems(
            &rules,
            "bridge/portal/inbound.rs",
            "self.inner.administrator"
        )
        .is_empty(),
        "a field whose name only starts like a handle's"
    );
    assert_eq!(
        problems(&rules, "bridge/portal/inbound.rs", upward),
        vec!["bridge/portal/inbound.rs uses bridge/admin, which its layer may not"]
    );
    assert_eq!(
        problems(&rules, "matrix/client.rs", "use crate::whatsapp::Graph;").len(),
        1
    );
    assert_eq!(
        problems(&rules, "matrix/client.rs", "use crate::matrix::types;").len(),
        0
    );
    assert_eq!(problems(&rules, "newthing.rs", "").len(), 1);
    assert_eq!(
        problems(
            &rules,
            "bridge/portal/x.rs",
            "use super::super::admin::room;"
        )
        .len(),
        1
    );
}

/// Functions longer than `max` lines in `code`: (name, lines). A function runs from its `fn`
/// line to the closing brace at the same indentation.
fn long_functions(code: &str, max: usize) -> Vec<(String, usize)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let signature = ["pub fn ", "fn ", "async fn ", "pub async fn ", "const fn "]
            .iter()
            .any(|p| trimmed.starts_with(p))
            || (trimmed.starts_with("pub(") && trimmed.contains(" fn "));
        if !signature || trimmed.ends_with(';') {
            continue;
        }
        let close = format!("{indent}}}");
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            let n = end + 2;
            if n > max {
                let name: String = trimmed
                    .split("fn ")
                    .nth(1)
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push((name, n));
            }
        }
    }
    out
}

#[test]
fn no_file_over_500_lines_and_no_function_over_80() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for f in &files {
        let code = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(&src).unwrap().display().to_string();
        let n = code.lines().count();
        if n > 500 {
            wrong.push(format!("{rel}: {n} lines"));
        }
        for (name, lines) in long_functions(&code, 80) {
            wrong.push(format!("{rel}: fn {name} is {lines} lines"));
        }
    }
    assert!(wrong.is_empty(), "too long:\n{}", wrong.join("\n"));
}

#[test]
fn the_length_check_sees_a_long_function() {
    let body: String = (0..81).map(|i| format!("    let x{i} = {i};\n")).collect();
    let code = format!("pub(crate) async fn long() {{\n{body}}}\n\nfn short() {{\n}}\n");
    assert_eq!(long_functions(&code, 80), vec![("long".to_owned(), 83)]);
    assert!(long_functions(&code, 83).is_empty());
}
