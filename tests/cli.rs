//! The command line: init, check, registration — run as a user would.

use std::process::Command;

fn sportello(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sportello"));
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    for (k, _) in sportello::config::SECRET_ENV {
        if !env.iter().any(|(e, _)| *e == k) {
            c.env_remove(k);
        }
    }
    let o = c.output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn token_of(text: &str, key: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

#[test]
fn init_check_registration() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let cfg_s = cfg.to_str().unwrap();
    let (ok, out, _) = sportello(&["init", "-c", cfg_s], &[]);
    assert!(ok, "{out}");
    let text = std::fs::read_to_string(&cfg).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let (a, h, v) = (
        token_of(&text, "as_token"),
        token_of(&text, "hs_token"),
        token_of(&text, "verify_token"),
    );
    assert_eq!(a.len(), 64);
    assert!(a != h && h != v);
    // Refuses to overwrite; a second init with --force makes new tokens.
    assert!(!sportello(&["init", "-c", cfg_s], &[]).0);
    assert!(sportello(&["init", "-c", cfg_s, "--force"], &[]).0);
    let text = std::fs::read_to_string(&cfg).unwrap();
    assert_ne!(token_of(&text, "as_token"), a);
    let a = token_of(&text, "as_token");

    // The starter lacks what only the office knows: one sentence per problem, exit 1.
    let (ok, out, err) = sportello(&["check", "-c", cfg_s], &[]);
    assert!(!ok);
    assert!(err.contains("problem: whatsapp.phone_number_id"), "{err}");
    assert!(
        err.contains("problem: whatsapp.access_token is not set"),
        "{err}"
    );
    assert!(
        err.contains("problem: office.staff and office.admins are both empty"),
        "{err}"
    );
    assert!(!out.contains(&a), "a secret was printed");

    // Filled in (secrets from the environment): valid, secrets shown as set.
    let filled = text
        .replace(
            "phone_number_id = \"\"",
            "phone_number_id = \"106540352242922\"",
        )
        .replace("staff = []", "staff = [\"@mario:comune.example.it\"]");
    std::fs::write(&cfg, filled).unwrap();
    let env = [
        ("SPORTELLO_WHATSAPP_ACCESS_TOKEN", "EAAGsecret"),
        ("SPORTELLO_WHATSAPP_APP_SECRET", "appsecret123"),
    ];
    let (ok, out, err) = sportello(&["check", "-c", cfg_s], &env);
    assert!(ok, "{err}");
    assert!(out.contains("is valid"));
    assert!(out.contains("access_token = \"<set>\""), "{out}");
    for secret in [a.as_str(), "EAAGsecret", "appsecret123"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "secret printed"
        );
    }

    let reg = dir.path().join("registration.yaml");
    let (ok, _, err) = sportello(
        &["registration", "-c", cfg_s, "-o", reg.to_str().unwrap()],
        &env,
    );
    assert!(ok, "{err}");
    let y = std::fs::read_to_string(&reg).unwrap();
    assert!(y.contains(&format!("as_token: '{a}'")));
    assert!(y.contains(r"regex: '@whatsapp_.*:comune\.example\.it'"));

    // The GDPR paperwork, from this config; changing its retention changes the text.
    let (ok, notice, err) = sportello(&["privacy-notice", "-c", cfg_s], &env);
    assert!(ok, "{err}");
    assert!(notice.contains("INFORMATIVA SUL TRATTAMENTO") && notice.contains("PRIVACY NOTICE"));
    assert!(
        notice.contains("after 365 days without messages"),
        "{notice}"
    );
    let (ok, record, err) = sportello(&["processing-record", "-c", cfg_s], &env);
    assert!(ok, "{err}");
    assert!(record.contains("art. 30(1) GDPR") && record.contains("after 365 days"));
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("inactive_days = 365", "inactive_days = 180"),
    )
    .unwrap();
    let (_, notice, _) = sportello(&["privacy-notice", "-c", cfg_s], &env);
    assert!(
        notice.contains("after 180 days without messages"),
        "{notice}"
    );
    for secret in [a.as_str(), "EAAGsecret", "appsecret123"] {
        assert!(!notice.contains(secret) && !record.contains(secret));
    }

    // A missing file is one clear sentence.
    let (ok, _, err) = sportello(&["check", "-c", "/nonexistent/sportello.toml"], &[]);
    assert!(
        !ok && err.contains("cannot read /nonexistent/sportello.toml"),
        "{err}"
    );
}

/// The example registration in the repository is what the tool writes for the example
/// config (with the documented placeholder tokens).
#[test]
fn shipped_registration_example_is_generated() {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.yaml");
    let example = std::fs::read_to_string(format!("{root}/config.example.toml"))
        .unwrap()
        .replace(
            "phone_number_id = \"\"",
            "phone_number_id = \"106540352242922\"",
        )
        .replace("staff = []", "staff = [\"@mario:comune.example.it\"]");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, example).unwrap();
    let env = [
        (
            "SPORTELLO_AS_TOKEN",
            "CHANGE-ME-as-token-from-sportello-init",
        ),
        (
            "SPORTELLO_HS_TOKEN",
            "CHANGE-ME-hs-token-from-sportello-init",
        ),
        ("SPORTELLO_WHATSAPP_ACCESS_TOKEN", "x"),
        ("SPORTELLO_WHATSAPP_APP_SECRET", "x"),
        ("SPORTELLO_WHATSAPP_VERIFY_TOKEN", "x"),
    ];
    let (ok, _, err) = sportello(
        &[
            "registration",
            "-c",
            cfg.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        &env,
    );
    assert!(ok, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        std::fs::read_to_string(format!("{root}/registration.yaml")).unwrap(),
        "regenerate registration.yaml (see README)"
    );
}

/// `--version` says the store schema it writes; `check` says where a mistyped key is and which
/// key was meant, instead of letting it fall back to a default.
#[test]
fn version_and_a_mistyped_key() {
    let (ok, out, _) = sportello(&["--version"], &[]);
    assert!(ok);
    assert_eq!(
        out.trim(),
        format!("sportello {} (store schema 2)", env!("CARGO_PKG_VERSION"))
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    let cfg_s = cfg.to_str().unwrap();
    assert!(sportello(&["init", "-c", cfg_s], &[]).0);
    let text = std::fs::read_to_string(&cfg).unwrap();
    let typo = text.replace("retry_max_secs = 60", "retry_max_sec = 60");
    assert_ne!(typo, text);
    std::fs::write(&cfg, &typo).unwrap();
    let line = typo
        .lines()
        .position(|l| l.starts_with("retry_max_sec ="))
        .unwrap()
        + 1;
    let (ok, out, err) = sportello(&["check", "-c", cfg_s], &[]);
    assert!(!ok, "{out}");
    let said = format!("{out}{err}");
    assert!(
        said.contains(&format!("line {line}: unknown field `retry_max_sec`"))
            && said.contains("Did you mean `retry_max_secs`?"),
        "{said}"
    );
}

/// With `log.format = "json"` every line the running bridge writes is one JSON object, ready
/// for a log collector — numbers masked as in text logs.
#[test]
fn json_logs_are_one_object_a_line() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let (cfg, _store) = runnable_config(dir.path(), "format = \"json\"");
    let cfg_s = cfg.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sportello"))
        .args(["run", "-c", cfg_s])
        .env("SPORTELLO_WHATSAPP_ACCESS_TOKEN", "EAAGsecret")
        .env("SPORTELLO_WHATSAPP_APP_SECRET", "appsecret123")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Should the awaited line never come, the bridge is stopped after a minute and the
    // assertions below say what was written instead.
    let pid = child.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        let _ = Command::new("kill").arg(&pid).status();
    });
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        lines.push(line.unwrap());
        let seen = |what: &str| lines.iter().any(|l| l.contains(what));
        if seen("cannot reach") && seen("listening for Synapse and Meta") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines.iter().any(|l| l.contains("cannot reach")),
        "{lines:?}"
    );
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["fields"]["message"].is_string(),
            "{line}"
        );
        assert!(
            !line.contains("EAAGsecret") && !line.contains("appsecret123"),
            "{line}"
        );
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("listening for Synapse and Meta")),
        "{lines:?}"
    );
}

/// A config the bridge runs with, in `dir` (a free port, its store in `dir/store`, no Synapse
/// answering), with `log` as its `[log]` format line; the config's and the store's paths.
fn runnable_config(dir: &std::path::Path, log: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let cfg = dir.join("config.toml");
    assert!(sportello(&["init", "-c", cfg.to_str().unwrap()], &[]).0);
    let port = sportello_testkit::synapse::free_port();
    let store = dir.join("store");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(
            "phone_number_id = \"\"",
            "phone_number_id = \"106540352242922\"",
        )
        .replace("staff = []", "staff = [\"@mario:comune.example.it\"]")
        .replace("127.0.0.1:29330", &format!("127.0.0.1:{port}"))
        // Nothing answers there: the start-up check logs that it cannot reach Synapse.
        .replace("http://127.0.0.1:8008", "http://127.0.0.1:9")
        .replace(
            "path = \"sportello-data\"",
            &format!("path = {:?}", store.to_str().unwrap()),
        )
        .replace("format = \"text\"", log);
    std::fs::write(&cfg, text).unwrap();
    (cfg, store)
}

/// A store written by a newer version: `run` stops at once with what to do, and the store is
/// left as it was.
#[test]
fn a_newer_store_is_refused_at_start() {
    use sportello::store::{Kv, Op, RedbKv};
    let dir = tempfile::tempdir().unwrap();
    let (cfg, store) = runnable_config(dir.path(), "format = \"text\"");
    {
        let kv = RedbKv::open(&store, &["meta"]).unwrap();
        kv.commit(&[Op::put("meta", &b"schema_version"[..], &b"99"[..])])
            .unwrap();
    }
    let (ok, out, err) = sportello(
        &["run", "-c", cfg.to_str().unwrap()],
        &[
            ("SPORTELLO_WHATSAPP_ACCESS_TOKEN", "EAAGsecret"),
            ("SPORTELLO_WHATSAPP_APP_SECRET", "appsecret123"),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("written by a newer Sportello (store schema 99)")
            && err.contains("Run the newer version again"),
        "{err}"
    );
    let kv = RedbKv::open(&store, &[]).unwrap();
    assert_eq!(kv.get("meta", b"schema_version").unwrap().unwrap(), b"99");
}
