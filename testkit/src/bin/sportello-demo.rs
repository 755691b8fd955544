//! The self-contained demo: a throwaway Synapse, the Cloud API simulator and Sportello,
//! wired together on loopback. Log in with any Matrix client as the printed staff user;
//! type lines here to send them as a citizen's WhatsApp messages; staff answers that reach
//! "WhatsApp" are printed here.

use std::time::Duration;

use sportello_simulator::templates::ApprovedTemplate;
use sportello_simulator::webhook::Citizen;
use sportello_testkit::{Stack, StackOptions};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sportello=info,warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    eprintln!(
        "Starting Synapse (installed on first run, ~1 minute), the WhatsApp simulator and Sportello…"
    );
    let stack = Stack::start(StackOptions {
        staff: vec!["urp".into()],
        admins: vec!["admin".into()],
        others: vec![],
        signature: "none".into(),
        retry_max_secs: 30,
        request_timeout_secs: 30,
        mark_read: true,
        // Subscriptions and broadcasts work out of the box: type ISCRIVIMI or MENU as the
        // citizen, then `broadcast all <text>` and `approve 1` in the admin room.
        extra_toml: r#"
[policies]
privacy = "https://comune.example.it/privacy-whatsapp"
privacy_version = "2026-1"
code_of_conduct = "Il servizio è per informazioni: niente insulti, niente dati sensibili."
code_of_conduct_version = "2026-1"

[templates.riprendi]
name = "riprendi_conversazione"
description = "Per rispondere dopo le 24 ore"

[broadcast]
template = "notizie_comune"

# Example rates only, to show the estimate: copy Meta's current ones for a real office.
[pricing]
currency = "EUR"
marketing = { "39" = 0.0572, "*" = 0.0600 }
utility = { "39" = 0.0248, "*" = 0.0300 }

# The number stays on the office's phone too: `/app` and `/history` below.
[coexistence]
enabled = true

[helpdesk]
closing_message = "Grazie per averci scritto. Se serve altro, scriva pure qui."
satisfaction = true
"#
        .into(),
        language: "it".into(),
        data_dir: None,
        max_upload_size: "100M".into(),
        new_portals_per_minute: 60,
        admin_power_level: 0,
        // The templates are read from the simulated account, as from Meta: `!templates`.
        templates_from_meta: true,
        account_templates: demo_templates(),
        autoreply: "complaints_url = \"https://comune.example.it/segnalazioni\"\nemergency_numbers = \"112\"".into(),
        clock: None,
        // A new install: ghosts named by a keyed hash, not by the number.
        hashed_ids: true,
    })
    .await?;
    let mut citizen = Citizen::phone("393331234567", "Anna Rossi");
    println!(
        "\nSportello demo is running.\n\
         \n  Homeserver:  {hs}\n  Log in as:   urp / password urp   (or admin / admin)\n\
         \n  Use any Matrix client (Element Desktop: 'Edit' the homeserver, enter {hs}).\n\
         \nType a line and press Enter: it arrives as a WhatsApp message from {name} (+{num}).\n\
         Lines starting with '/as <number> <name>' switch citizen. Staff answers are printed here.\n\
         '/meta <event> <template>' sends Meta's template webhook (PAUSED, REINSTATED, DISABLED, RED, GREEN).\n\
         '/app <text>' is the office answering from the WhatsApp Business app on its phone;\n\
         '/history' shares a short chat history of the current citizen, as at onboarding.\n\
         Ctrl-C stops everything and deletes the demo's data.\n",
        hs = stack.synapse.url,
        name = citizen.name.clone().unwrap_or_default(),
        num = citizen.wa_id.clone().unwrap_or_default(),
    );
    let sim = stack.sim.clone();
    let printer = tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let sent = sim.accepted();
            for r in &sent[seen..] {
                let to = r.body["to"]
                    .as_str()
                    .or(r.body["recipient"].as_str())
                    .unwrap_or("?");
                let template = &r.body["template"];
                let text = match r.body["text"]["body"].as_str() {
                    Some(t) => t.to_owned(),
                    None if template.is_object() => {
                        let params: Vec<&str> = template["components"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .flat_map(|c| c["parameters"].as_array().into_iter().flatten())
                            .filter_map(|p| p["text"].as_str())
                            .collect();
                        format!(
                            "[template {}] {}",
                            template["name"].as_str().unwrap_or("?"),
                            params.join(" | ")
                        )
                    }
                    None => r.body.to_string(),
                };
                println!("→ WhatsApp to +{to}: {text}");
            }
            seen = sent.len();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            line = lines.next_line() => match line {
                Ok(Some(line)) if line.starts_with("/as ") => {
                    let mut parts = line[4..].splitn(2, ' ');
                    let number = parts.next().unwrap_or("").trim_start_matches('+').to_owned();
                    let name = parts.next().unwrap_or("Cittadino").to_owned();
                    citizen = Citizen::phone(&number, &name);
                    println!("Now writing as {name} (+{number}).");
                }
                Ok(Some(line)) if line.starts_with("/meta ") => {
                    let mut parts = line[6..].split_whitespace();
                    let (event, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let n = match event {
                        "RED" => stack.sim.change_template_quality(name, "it", "GREEN", "RED"),
                        "GREEN" => stack.sim.change_template_quality(name, "it", "RED", "GREEN"),
                        e => stack.sim.change_template_status(name, "it", e, None),
                    };
                    println!("(Meta's webhook for {name}: HTTP {})", stack.sim.post(&n).await);
                }
                Ok(Some(line)) if line.starts_with("/app ") => {
                    let echo = stack.sim.app_text(&citizen, line[5..].trim());
                    println!("(echo from the app: HTTP {})", stack.sim.post(&stack.sim.echoes(vec![echo])).await);
                }
                Ok(Some(line)) if line.trim() == "/history" => {
                    let n = demo_history(&stack.sim, &citizen);
                    println!("(shared history: HTTP {})", stack.sim.post(&n).await);
                }
                Ok(Some(line)) if !line.trim().is_empty() => {
                    let n = stack.sim.notification(&[&citizen], vec![stack.sim.text(&citizen, &line)]);
                    let status = stack.sim.post(&n).await;
                    if status != 200 {
                        println!("(the bridge answered HTTP {status})");
                    }
                }
                Ok(Some(_)) => {}
                // No more input (e.g. not a terminal): keep running until Ctrl-C.
                Ok(None) | Err(_) => {
                    tokio::signal::ctrl_c().await?;
                    break;
                }
            }
        }
    }
    printer.abort();
    eprintln!("Stopping.");
    Ok(())
}

/// A week-old chat of `c` with the office on the phone, in one chunk (the sync complete).
fn demo_history(sim: &sportello_simulator::Simulator, c: &Citizen) -> serde_json::Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = now - 7 * 86_400;
    let text = |office: bool, at: u64, body: &str| {
        sim.history_message(c, office, at, "text", serde_json::json!({"body": body}))
    };
    let messages = vec![
        text(false, t, "Buongiorno, quando riapre la biblioteca?"),
        text(
            true,
            t + 900,
            "Buongiorno! Riapre lunedì alle 9, dopo i lavori 📚",
        ),
        text(false, t + 1000, "Grazie mille, è gentilissimo"),
    ];
    sim.history_chunk(0, 1, 100, &[(c, messages)])
}

/// The simulated account's templates: what an office has approved in WhatsApp Manager.
fn demo_templates() -> Vec<ApprovedTemplate> {
    vec![
        ApprovedTemplate {
            name: "notizie_comune".into(),
            body_params: 1,
            body: "Notizie dal Comune: {{1}}".into(),
            ..Default::default()
        },
        ApprovedTemplate {
            name: "riprendi_conversazione".into(),
            category: "UTILITY".into(),
            body_params: 1,
            body: "Buongiorno, l'URP ha una risposta per lei: {{1}}".into(),
            ..Default::default()
        },
    ]
}
