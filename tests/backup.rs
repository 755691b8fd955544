//! `sportello backup`: a consistent copy of the store while the bridge runs (made by the
//! bridge, which holds the store's lock) and while it is stopped (made by the command); each
//! copy restored as a store holds what the bridge had; the bridge's endpoint needs its token.

use std::path::Path;

use sportello::store::Store;

use crate::harness::{Citizen, citizen_writes, stack};

async fn backup(config: &Path, output: &Path) -> (bool, String) {
    let (config, output) = (config.to_owned(), output.to_owned());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sportello"))
            .args(["backup", "-c"])
            .arg(&config)
            .arg("-o")
            .arg(&output)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

/// Opens a copy as the store of a new directory, as an administrator restoring it would.
fn restored(copy: &Path) -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(copy, dir.path().join("sportello.redb")).unwrap();
    (Store::open(dir.path()).unwrap(), dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_while_running_and_stopped_restore_as_stores() {
    let mut stack = stack().await;
    let anna = Citizen::phone("393331234567", "Anna");
    citizen_writes(&stack, &anna, "Buongiorno, è aperto l'ufficio anagrafe?").await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, &stack.config_text).unwrap();

    // Running: the bridge makes the copy.
    let running = dir.path().join("copia-in-servizio.redb");
    let (ok, text) = backup(&config, &running).await;
    assert!(ok && text.contains("by the running bridge"), "{text}");
    let (store, _d) = restored(&running);
    let portal = store.portal("p:393331234567").unwrap().expect("the portal");
    assert_eq!(portal.phone.as_deref(), Some("393331234567"));
    drop(store);
    let (ok, text) = backup(&config, &running).await;
    assert!(!ok && text.contains("exists"), "never overwritten: {text}");
    assert!(
        !std::fs::read_dir(&stack.config.raw.store.path)
            .unwrap()
            .any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".backup-")),
        "the bridge's temporary copy is deleted once sent"
    );

    // The endpoint is the bridge's: without its token, nothing.
    let url = format!("{}/_sportello/backup", stack.bridge_url());
    let client = reqwest::Client::new();
    assert_eq!(client.post(&url).send().await.unwrap().status(), 401);
    let wrong = client.post(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 403);

    // Stopped: the command copies the store itself.
    stack.stop_bridge().await;
    let stopped = dir.path().join("copia-a-bridge-fermo.redb");
    let (ok, text) = backup(&config, &stopped).await;
    assert!(
        ok && text.contains("from the stopped bridge's store"),
        "{text}"
    );
    let (store, _d) = restored(&stopped);
    assert!(store.portal("p:393331234567").unwrap().is_some());
}
