//! The bridge as its own process, for the benchmarks that measure it alone (its memory and CPU
//! time, read from `/proc/<pid>`) and for the kill case of the fault figures. A benchmark binary
//! runs itself again as `<binary> serve CONFIG` (see [`serve_if_asked`]): the child is the real
//! bridge (`sportello::run`) with nothing of the simulator or the benchmark in its memory.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::Stack;

/// When this process was started as `<binary> serve CONFIG`, runs the bridge and returns its
/// outcome; otherwise `None` (the benchmark goes on).
pub fn serve_if_asked() -> Option<anyhow::Result<()>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some("serve") {
        return None;
    }
    Some((|| {
        let path = args.get(2).context("serve needs the config file")?;
        let config = sportello::config::Config::load(Path::new(path))?;
        crate::measure::bench_logs();
        let rt = tokio::runtime::Runtime::new()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind(config.bind).await?;
            sportello::run(config, listener, std::future::pending()).await?;
            anyhow::Ok(())
        })
    })())
}

/// This binary, to be run as `serve CONFIG`; under the program `SPORTELLO_CHILD_WRAP` names,
/// when set (a profiler such as `heaptrack`: the figures read from `/proc` are then the
/// wrapper's, not the bridge's).
/// `exe`: another build of the same benchmark binary instead of this one (a comparison).
pub fn own_bridge_command(config: &Path, exe: Option<&Path>) -> anyhow::Result<Command> {
    let exe = match exe {
        Some(e) => e.to_owned(),
        None => std::env::current_exe()?,
    };
    let mut c = match std::env::var_os("SPORTELLO_CHILD_WRAP") {
        Some(w) => {
            let mut c = Command::new(w);
            c.arg(exe);
            c
        }
        None => Command::new(exe),
    };
    c.arg("serve").arg(config);
    Ok(c)
}

/// Waits (up to a minute) until a bridge answers `/health` on the stack's port.
pub async fn answers(stack: &Stack) -> anyhow::Result<()> {
    let health = format!("{}/health", stack.bridge_url());
    let deadline = Instant::now() + Duration::from_secs(60);
    while !reqwest::get(&health)
        .await
        .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    {
        if Instant::now() > deadline {
            bail!("the bridge process did not answer /health");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Asks Meta's webhook handshake every 2 ms (up to a minute) until it is answered; the time
/// since `started`.
async fn handshake(stack: &Stack, started: Instant) -> anyhow::Result<Duration> {
    let token = &stack.config.raw.whatsapp.verify_token;
    let url = reqwest::Url::parse_with_params(
        &format!(
            "{}{}",
            stack.bridge_url(),
            stack.config.raw.whatsapp.webhook_path
        ),
        [
            ("hub.mode", "subscribe"),
            ("hub.verify_token", token.as_str()),
            ("hub.challenge", "1158201444"),
        ],
    )?;
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(url.clone()).send().await
            && r.status() == reqwest::StatusCode::OK
            && r.text().await.is_ok_and(|t| t == "1158201444")
        {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the bridge process did not answer the webhook handshake");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The bridge running as a child process on the stack's port and store.
pub struct BridgeChild {
    child: Child,
    _dir: tempfile::TempDir,
    /// From starting the process to its first answer to Meta's webhook handshake.
    pub handshake_after: Duration,
}

impl BridgeChild {
    /// Stops the stack's in-process bridge and starts this binary as the bridge in its place;
    /// returns once it answers on its port.
    pub async fn replace(stack: &mut Stack) -> anyhow::Result<BridgeChild> {
        Self::replace_with(stack, None).await
    }

    /// [`Self::replace`] with the bridge of another build of this binary (`exe`, which must
    /// answer `serve CONFIG` too), on the same port and store.
    pub async fn replace_with(
        stack: &mut Stack,
        exe: Option<&Path>,
    ) -> anyhow::Result<BridgeChild> {
        stack.stop_bridge().await;
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("config.toml");
        std::fs::write(&config, &stack.config_text)?;
        let started = Instant::now();
        let child = own_bridge_command(&config, exe)?
            .spawn()
            .context("starting the bridge process")?;
        let handshake_after = handshake(stack, started).await?;
        answers(stack).await?;
        Ok(BridgeChild {
            child,
            _dir: dir,
            handshake_after,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The bridge's peak resident memory so far (MiB).
    pub fn peak_rss_mib(&self) -> f64 {
        crate::measure::proc_status_mib(&format!("/proc/{}/status", self.pid()), "VmHWM:")
    }

    /// The bridge's resident memory now (MiB).
    pub fn rss_mib(&self) -> f64 {
        crate::measure::proc_status_mib(&format!("/proc/{}/status", self.pid()), "VmRSS:")
    }

    /// The CPU time the bridge used so far, user + system.
    pub fn cpu_time(&self) -> Duration {
        crate::measure::proc_cpu_time(self.pid()).unwrap_or_default()
    }
}

impl Drop for BridgeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
