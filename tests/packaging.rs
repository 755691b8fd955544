//! What an administrator installs next to the binary: the systemd unit is one systemd
//! accepts (`systemd-analyze verify`, where systemd is installed), hardened as the README says.

use std::path::Path;
use std::process::Command;

#[test]
fn the_systemd_unit_is_valid_and_hardened() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("contrib/sportello.service")).unwrap();
    for line in [
        "User=sportello",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/sportello",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "ExecStart=/usr/local/bin/sportello run -c /etc/sportello/config.toml",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} missing");
    }
    let Ok(analyze) = which("systemd-analyze") else {
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    // verify needs the binary where ExecStart names it: the one just built.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("sportello.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/sportello", env!("CARGO_BIN_EXE_sportello")),
    )
    .unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // systemd warns about a bad value and still exits 0: any word from it is a failure.
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(name))
                .find(|p| p.is_file())
        })
        .ok_or(())
}
