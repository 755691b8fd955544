//! The `sportello` command: init, registration, check, run, backup, and the GDPR paperwork
//! (privacy-notice, processing-record). A thin shell around the library.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sportello::config::{self, Config, RawConfig};

/// The version, and the store schema it writes: what an upgrade needs to know.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (store schema {})",
        env!("CARGO_PKG_VERSION"),
        sportello::store::SCHEMA
    )
});

#[derive(Parser)]
#[command(
    version = VERSION.as_str(),
    about = "Run a public office's WhatsApp information service from Matrix"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a starter config with fresh random as_token, hs_token and verify_token.
    Init {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Write the appservice registration for Synapse, derived from the config.
    Registration {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
        #[arg(short, long, default_value = "registration.yaml")]
        output: PathBuf,
    },
    /// Validate the config and print it, secrets shown only as set / not set.
    Check {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Run the bridge.
    Run {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Write a consistent copy of the store to FILE: made by the running bridge, or from the
    /// store itself when the bridge is stopped. Restore it as the store's sportello.redb.
    Backup {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print a draft of the privacy notice for citizens (GDPR art. 13), Italian and English,
    /// from the config's actual settings: review it and publish it.
    PrivacyNotice {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
    },
    /// Print a draft of the register entry of this processing (GDPR art. 30), Italian and
    /// English, from the config's actual settings.
    ProcessingRecord {
        #[arg(short, long, default_value = "config.toml")]
        config: PathBuf,
    },
}

/// `sportello check`: the config as read (secrets shown as set / not set), and its problems.
fn check_command(config: &std::path::Path) -> anyhow::Result<std::process::ExitCode> {
    let p = config.display().to_string();
    let text = std::fs::read_to_string(config).with_context(|| format!("cannot read {p}"))?;
    let raw = RawConfig::from_toml(&text, &p, |k| std::env::var(k).ok())?;
    println!("{}", raw.redacted_toml());
    let problems = raw.problems();
    if problems.is_empty() {
        println!("# {p} is valid.");
    } else {
        for pr in &problems {
            eprintln!("problem: {pr}");
        }
        return Ok(std::process::ExitCode::FAILURE);
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Prints a document; a reader that stops early (`| head`) is not an error.
fn print_all(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sportello: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn real_main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Init { config, force } => {
            if config.exists() && !force {
                anyhow::bail!("{} exists; use --force to overwrite it", config.display());
            }
            let text = config::starter(
                &config::random_token(),
                &config::random_token(),
                &config::random_token(),
            );
            write_private(&config, &text)?;
            println!(
                "Wrote {}. Fill in homeserver, whatsapp and office, then run `sportello check -c {}`.",
                config.display(),
                config.display()
            );
        }
        Command::Registration { config, output } => {
            let c = Config::load(&config)?;
            write_private(&output, &sportello::registration::render(&c))?;
            println!(
                "Wrote {}. Add it to app_service_config_files in homeserver.yaml and restart Synapse.",
                output.display()
            );
        }
        Command::Check { config } => return check_command(&config),
        Command::Backup { config, output } => backup_command(&config, &output)?,
        Command::PrivacyNotice { config } => {
            print_all(&sportello::paperwork::privacy_notice(&Config::load(
                &config,
            )?))?;
        }
        Command::ProcessingRecord { config } => {
            print_all(&sportello::paperwork::processing_record(&Config::load(
                &config,
            )?))?;
        }
        Command::Run { config } => {
            let c = Config::load(&config)?;
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&c.raw.log.filter));
            let logs = tracing_subscriber::fmt().with_env_filter(filter);
            if c.raw.log.format == "json" {
                logs.json().init();
            } else {
                logs.init();
            }
            // A panic's message may quote what it was reading (a citizen's text, a number):
            // it goes to the log masked, like every other line.
            std::panic::set_hook(Box::new(|info| {
                tracing::error!(
                    "internal error (a bug in Sportello): {}",
                    sportello::ids::mask_text(&info.to_string())
                );
            }));
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async {
                let listener = tokio::net::TcpListener::bind(c.bind)
                    .await
                    .with_context(|| format!("cannot listen on {}", c.bind))?;
                sportello::run(c, listener, shutdown_signal()).await?;
                anyhow::Ok(())
            })?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// `sportello backup`: the copy, and a line saying what was written.
fn backup_command(config: &std::path::Path, output: &std::path::Path) -> anyhow::Result<()> {
    let c = Config::load(config)?;
    let (entries, how) = tokio::runtime::Runtime::new()?.block_on(backup(&c, output))?;
    let schema = sportello::store::SCHEMA;
    println!(
        "Wrote {} ({entries} entries, store schema {schema}) {how}.",
        output.display()
    );
    Ok(())
}

/// Copies the store to `output`: asks the running bridge (it holds the store's lock), or,
/// when nothing answers on its listener, copies the stopped store itself.
async fn backup(c: &Config, output: &std::path::Path) -> anyhow::Result<(u64, &'static str)> {
    if output.exists() {
        anyhow::bail!("{} exists; choose a new file", output.display());
    }
    let mut addr = c.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let asked = reqwest::Client::new()
        .post(format!("http://{addr}/_sportello/backup"))
        .bearer_auth(&c.raw.appservice.as_token)
        .send()
        .await;
    let mut res = match asked {
        Ok(res) => res,
        Err(e) if e.is_connect() => {
            let store = &c.raw.store.path;
            if !store.join("sportello.redb").exists() {
                anyhow::bail!("no store at {}", store.display());
            }
            let kv = sportello::store::RedbKv::open(store, &[])
                .context("the bridge does not answer, and its store cannot be opened")?;
            let n = sportello::store::Kv::copy_to(&kv, output)?;
            return Ok((n, "from the stopped bridge's store"));
        }
        Err(e) => return Err(e).context(format!("asking the bridge at {addr}")),
    };
    if !res.status().is_success() {
        let status = res.status();
        anyhow::bail!(
            "the bridge refused: {status} {}",
            res.text().await.unwrap_or_default()
        );
    }
    let entries = res
        .headers()
        .get("x-sportello-entries")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Written under another name, renamed once complete: a cut copy never looks whole.
    let part = output.with_extension("part");
    let mut f = tokio::fs::File::create(&part)
        .await
        .with_context(|| format!("cannot write {}", part.display()))?;
    while let Some(chunk) = res.chunk().await? {
        tokio::io::AsyncWriteExt::write_all(&mut f, &chunk).await?;
    }
    f.sync_all().await?;
    tokio::fs::rename(&part, output).await?;
    Ok((entries, "by the running bridge"))
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Writes a file readable only by its owner (it holds secrets).
fn write_private(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}
