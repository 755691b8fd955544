//! A throwaway Synapse: installs the pinned `matrix-synapse` from PyPI into a cache (once per
//! machine, under a file lock), writes a test homeserver config, starts it on a free loopback
//! port and stops it on drop.

use std::{
    fs,
    io::Write,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

/// The Synapse version the tests run against.
pub const SYNAPSE_VERSION: &str = "1.163.2";

/// `$SPORTELLO_CACHE_DIR`, else `$XDG_CACHE_HOME/sportello`, else `~/.cache/sportello`.
pub fn cache_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SPORTELLO_CACHE_DIR") {
        return d.into();
    }
    let base = std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/tmp".into())).join(".cache")
        });
    base.join("sportello")
}

/// Installs Synapse into the cache if needed; returns the venv's python.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let dir = cache_dir();
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let venv = dir.join(format!("synapse-{SYNAPSE_VERSION}"));
    let python = venv.join("bin/python");
    let stamp = venv.join(".installed");
    let installed = || {
        fs::read_to_string(&stamp)
            .map(|s| s.trim() == SYNAPSE_VERSION)
            .unwrap_or(false)
    };
    if installed() {
        return Ok(python);
    }
    let lock = fs::File::create(dir.join(".install.lock"))?;
    lock.lock()?; // released when `lock` is dropped
    if installed() {
        return Ok(python);
    }
    let _ = fs::remove_dir_all(&venv);
    let sys_python = std::env::var("SPORTELLO_PYTHON").unwrap_or_else(|_| "python3".into());
    eprintln!(
        "installing matrix-synapse {SYNAPSE_VERSION} into {} (once; ~1 minute)",
        venv.display()
    );
    let log = dir.join(format!("synapse-{SYNAPSE_VERSION}.install.log"));
    let run = |cmd: &mut Command, what: &str| -> anyhow::Result<()> {
        let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?
            .write_all(&[out.stdout, out.stderr].concat())?;
        if !out.status.success() {
            bail!("{what} failed; see {}", log.display());
        }
        Ok(())
    };
    run(
        Command::new(&sys_python).args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    let mut ok = false;
    for attempt in 1..=3 {
        let r = run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--quiet",
                ])
                .arg(format!("matrix-synapse=={SYNAPSE_VERSION}")),
            "pip install matrix-synapse",
        );
        if r.is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_secs(5 * attempt));
    }
    if !ok {
        bail!(
            "pip install matrix-synapse=={SYNAPSE_VERSION} failed 3 times; see {}",
            log.display()
        );
    }
    fs::write(&stamp, SYNAPSE_VERSION)?;
    Ok(python)
}

/// A free loopback port (bound then released; good enough on a test machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Synapse {
    pub url: String,
    pub port: u16,
    pub server_name: String,
    pub dir: PathBuf,
    python: PathBuf,
    shared_secret: String,
    child: Option<Child>,
    _tmp: Option<tempfile::TempDir>,
}

const LAUNCHER: &str = r#"
import os, runpy, sqlite3, sys
_connect = sqlite3.connect
def _fast_connect(*args, **kwargs):
    conn = _connect(*args, **kwargs)
    conn.execute("PRAGMA synchronous = OFF")
    return conn
sqlite3.connect = _fast_connect
sys.argv[0] = "synapse_homeserver"
runpy.run_module("synapse.app.homeserver", run_name="__main__", alter_sys=True)
"#;

const KEYGEN: &str = r#"
import os, sys
from signedjson.key import generate_signing_key, write_signing_keys
with open(sys.argv[1] + ".tmp", "w") as f:
    write_signing_keys(f, (generate_signing_key("a_test"),))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
"#;

impl Synapse {
    /// Installs (if needed) and starts a fresh Synapse with these appservice registrations.
    /// `dir`: keep data there (for the demo); `None` uses a temporary directory.
    /// `max_upload_size`: Synapse's setting (`"100M"`).
    pub fn start(
        server_name: &str,
        port: u16,
        registrations: &[String],
        dir: Option<PathBuf>,
        max_upload_size: &str,
    ) -> anyhow::Result<Synapse> {
        let python = ensure_installed()?;
        let (dir, tmp) = match dir {
            Some(d) => {
                fs::create_dir_all(&d)?;
                (d, None)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("sportello-synapse-")
                    .tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let shared_secret = sportello::config::random_token();
        let rl = "{per_second: 100000, burst_count: 1000000}";
        let mut as_files = String::new();
        for (i, r) in registrations.iter().enumerate() {
            let p = dir.join(format!("registration-{i}.yaml"));
            fs::write(&p, r)?;
            as_files.push_str(&format!("  - \"{}\"\n", p.display()));
        }
        let d = dir.display();
        let config = format!(
            "server_name: \"{server_name}\"\npublic_baseurl: \"http://127.0.0.1:{port}/\"\nreport_stats: false\n\
listeners:\n  - port: {port}\n    bind_addresses: ['127.0.0.1']\n    type: http\n    tls: false\n    x_forwarded: false\n    resources:\n      - names: [client]\n        compress: false\n\
database:\n  name: sqlite3\n  args:\n    database: \"{d}/homeserver.db\"\n\
log_config: \"{d}/log.config\"\nmedia_store_path: \"{d}/media_store\"\nsigning_key_path: \"{d}/signing.key\"\n\
registration_shared_secret: \"{shared_secret}\"\nmacaroon_secret_key: \"{mac}\"\nform_secret: \"{form}\"\n\
enable_registration: false\ntrusted_key_servers: []\nsuppress_key_server_warning: true\nenable_metrics: false\n\
url_preview_enabled: false\nenable_authenticated_media: true\nmax_upload_size: {max_upload_size}\nmax_pending_media_uploads: 100000\n\
bcrypt_rounds: 4\npresence:\n  enabled: false\n\
rc_message: {rl}\nrc_registration: {rl}\nrc_login: {{address: {rl}, account: {rl}, failed_attempts: {rl}}}\n\
rc_joins: {{local: {rl}, remote: {rl}}}\nrc_joins_per_room: {rl}\nrc_invites: {{per_room: {rl}, per_user: {rl}, per_issuer: {rl}}}\n\
rc_room_creation: {rl}\nrc_media_create: {rl}\nrc_profile: {rl}\nrc_3pid_validation: {rl}\nrc_admin_redaction: {rl}\n\
app_service_config_files:\n{as_files}",
            mac = sportello::config::random_token(),
            form = sportello::config::random_token(),
        );
        let config = if registrations.is_empty() {
            config.replace(
                "app_service_config_files:\n",
                "app_service_config_files: []\n",
            )
        } else {
            config
        };
        fs::write(dir.join("homeserver.yaml"), config)?;
        fs::write(
            dir.join("log.config"),
            format!(
                "version: 1\nformatters:\n  precise:\n    format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'\n\
handlers:\n  file:\n    class: logging.FileHandler\n    formatter: precise\n    filename: \"{d}/homeserver.log\"\n    encoding: utf8\n\
loggers:\n  synapse.storage.SQL:\n    level: WARNING\nroot:\n  level: INFO\n  handlers: [file]\ndisable_existing_loggers: false\n"
            ),
        )?;
        fs::write(dir.join("launch.py"), LAUNCHER)?;
        let key = dir.join("signing.key");
        if !key.exists() {
            let out = Command::new(&python)
                .arg("-c")
                .arg(KEYGEN)
                .arg(&key)
                .output()?;
            if !out.status.success() {
                bail!(
                    "signing key generation failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        let mut s = Synapse {
            url: format!("http://127.0.0.1:{port}"),
            port,
            server_name: server_name.into(),
            dir,
            python,
            shared_secret,
            child: None,
            _tmp: tmp,
        };
        s.launch()?;
        Ok(s)
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("synapse.stdout"))?;
        let child = Command::new(&self.python)
            .arg(self.dir.join("launch.py"))
            .arg("-c")
            .arg(self.dir.join("homeserver.yaml"))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .context("cannot start Synapse")?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(90))
    }

    fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let url = format!("127.0.0.1:{}", self.port);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                bail!(
                    "Synapse exited during start-up ({status}):\n{}",
                    self.log_tail()
                );
            }
            if versions_ok(&url) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "Synapse did not answer within {timeout:?}:\n{}",
            self.log_tail()
        )
    }

    /// The running homeserver's process id (its CPU time is read from `/proc` by the benchmarks).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The last lines of the homeserver log, for failure messages.
    pub fn log_tail(&self) -> String {
        let mut s = String::new();
        for f in ["synapse.stdout", "homeserver.log"] {
            if let Ok(t) = fs::read_to_string(self.dir.join(f)) {
                let lines: Vec<&str> = t.lines().collect();
                s.push_str(&lines[lines.len().saturating_sub(30)..].join("\n"));
                s.push('\n');
            }
        }
        s
    }

    /// Stops the process (SIGTERM, then SIGKILL after 10 s). Data is kept for `resume`.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts again on the same port with the same data.
    pub fn resume(&mut self) -> anyhow::Result<()> {
        self.launch()
    }

    /// Creates a user through the shared-secret admin API; returns its user id.
    /// Logs `user` in (password = the same as registered) and returns the access token.
    pub async fn login(&self, user: &str, password: &str) -> anyhow::Result<String> {
        let login: Value = reqwest::Client::new()
            .post(format!("{}/_matrix/client/v3/login", self.url))
            .json(&json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user}, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        login["access_token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("login of {user} failed: {login}"))
    }

    pub async fn register_user(
        &self,
        username: &str,
        password: &str,
        admin: bool,
    ) -> anyhow::Result<String> {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: Value = http.get(&url).send().await?.json().await?;
        let nonce = nonce["nonce"].as_str().context("no nonce")?.to_owned();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(self.shared_secret.as_bytes())?;
        mac.update(
            format!(
                "{nonce}\0{username}\0{password}\0{}",
                if admin { "admin" } else { "notadmin" }
            )
            .as_bytes(),
        );
        let body = json!({"nonce": nonce, "username": username, "password": password, "admin": admin,
                          "mac": hex::encode(mac.finalize().into_bytes())});
        let res = http.post(&url).json(&body).send().await?;
        let status = res.status();
        let v: Value = res.json().await?;
        if !status.is_success() && v["errcode"] != "M_USER_IN_USE" {
            bail!("registering {username} failed: {status} {v}");
        }
        Ok(format!("@{username}:{}", self.server_name))
    }
}

fn versions_ok(addr: &str) -> bool {
    use std::io::Read;
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /_matrix/client/versions HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
}

impl Drop for Synapse {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
