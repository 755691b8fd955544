//! Templates read from Meta (the simulator's account): `!templates` and its sync, `!template`
//! and broadcasts by Meta's name with named parameters, and Meta's template webhooks told in
//! the admin room — a paused template blocks a broadcast's approval until Meta approves it
//! again and its quality is no longer red; a restart reads the list again.

use serde_json::{Value, json};
use sportello_simulator::templates::ApprovedTemplate;

use crate::harness::broadcast::{Kind, bot_notice, seed_ops};
use crate::harness::news::{Admin, seed};
use crate::harness::{
    BOT, Citizen, StackOptions, bot_reply, citizen_writes, eventually, stack_with,
};

fn account() -> Vec<ApprovedTemplate> {
    vec![
        ApprovedTemplate {
            name: "riprendi_conversazione".into(),
            category: "UTILITY".into(),
            body_params: 1,
            body: "Buongiorno, l'URP ha una risposta per lei: {{1}}".into(),
            ..Default::default()
        },
        ApprovedTemplate {
            name: "riprendi_conversazione".into(),
            language: "en_US".into(),
            category: "UTILITY".into(),
            body_params: 1,
            ..Default::default()
        },
        ApprovedTemplate {
            name: "notizie_comune".into(),
            named: vec!["notizia".into()],
            body: "Notizie dal Comune: {{notizia}}".into(),
            ..Default::default()
        },
        ApprovedTemplate {
            name: "scadenze".into(),
            category: "UTILITY".into(),
            status: "PAUSED".into(),
            body_params: 1,
            ..Default::default()
        },
        ApprovedTemplate {
            name: "foto_evento".into(),
            header: Some("image".into()),
            body_params: 1,
            ..Default::default()
        },
    ]
}

/// The templates config: `riprendi` names a Meta template without a language; broadcasts use
/// a Meta template by its own name, with no `[templates.…]` entry.
const TOML: &str = r#"
[templates.riprendi]
name = "riprendi_conversazione"
description = "Risposta dopo le 24 ore"

[broadcast]
messages_per_second = 20
template = "notizie_comune"
progress_every_secs = 1
resolve_wait_secs = 3

[pricing]
currency = "EUR"
marketing = { "39" = 0.0572, "*" = 0.0600 }
utility = { "39" = 0.0248 }
"#;

/// The bot's notices in the admin room that contain `needle`.
async fn notices(admin: &Admin, needle: &str) -> Vec<Value> {
    admin
        .staff
        .messages(&admin.room)
        .await
        .into_iter()
        .filter(|e| {
            e["sender"] == BOT && e["content"]["body"].as_str().unwrap_or("").contains(needle)
        })
        .collect()
}

async fn template_sends(stack: &crate::harness::Stack, n: usize) -> Vec<Value> {
    let sim = stack.sim.clone();
    eventually("the template sends", || {
        let sim = sim.clone();
        async move {
            let sends: Vec<Value> = sim
                .accepted_messages()
                .into_iter()
                .filter(|m| m["type"] == "template")
                .collect();
            (sends.len() >= n).then_some(sends)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_come_from_meta_and_their_changes_reach_the_admins() {
    let mut stack = stack_with(StackOptions {
        templates_from_meta: true,
        language: "it".into(),
        extra_toml: TOML.into(),
        ..Default::default()
    })
    .await;
    for t in account() {
        stack.sim.approve_template(t);
    }
    seed(&mut stack, |_| {
        seed_ops(&[Kind::Outside, Kind::Outside, Kind::Inside])
    })
    .await;
    let admin = Admin::join(&stack, "anna").await;

    let synced = admin.say("!templates sync").await;
    assert!(synced.contains("Modelli letti da Meta: 5"), "{synced}");
    let list = admin.say("!templates").await;
    for expected in [
        "Modelli letti da Meta il",
        "!template riprendi <text> · riprendi_conversazione it · utility · Risposta dopo le 24 ore",
        "!template notizie_comune <notizia> · notizie_comune it · marketing",
        "foto_evento it · marketing · [image]",
        "Non inviabili ora: scadenze it (PAUSED)",
    ] {
        assert!(list.contains(expected), "{expected:?} in {list}");
    }

    // A broadcast by Meta's name: its one named parameter carries the text, typed in Element
    // with Markdown (bold reaches WhatsApp as its own markup).
    let typed = admin
        .staff
        .send(
            &admin.room,
            json!({"msgtype": "m.text",
                "body": "broadcast eventi **È** aperto l'ufficio anagrafe, sabato 🎉",
                "format": "org.matrix.custom.html",
                "formatted_body": "broadcast eventi <strong>È</strong> aperto l'ufficio anagrafe, sabato 🎉"}),
        )
        .await;
    let draft = bot_reply(&admin.staff, &admin.room, typed.as_str()).await["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = "*È* aperto l'ufficio anagrafe, sabato 🎉";
    assert!(draft.contains(text), "{draft}");
    assert!(
        draft.contains("notizie_comune") && !draft.contains("⚠️"),
        "{draft}"
    );
    // Two outside the window get the marketing template (+39: 0.0572 each), one inside is free.
    assert!(
        draft.contains("Costo stimato: 0,11 EUR (a pagamento: 2 marketing; gratuiti: 1,"),
        "{draft}"
    );
    admin.say("approve 1").await;
    let sends = template_sends(&stack, 2).await;
    assert_eq!(
        sends[0]["template"],
        json!({"name": "notizie_comune", "language": {"code": "it"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": text, "parameter_name": "notizia"}]}]})
    );

    // The report counts what Meta priced in its statuses, and what that costs.
    bot_notice(
        &admin,
        "📢 Resoconto dell'invio #1",
        "💶 Secondo Meta (messaggi consegnati): a pagamento marketing 2 · gratuiti service 1. Costo: 0,11 EUR.",
    )
    .await;

    // Meta pauses it (the webhook comes twice): one notice; a new draft cannot be approved.
    let paused = stack
        .sim
        .change_template_status("notizie_comune", "it", "PAUSED", None);
    for _ in 0..2 {
        assert_eq!(stack.sim.post(&paused).await, 200);
    }
    let notice = eventually("the pause notice", || async {
        notices(&admin, "sospeso da Meta").await.pop()
    })
    .await;
    let body = notice["content"]["body"].as_str().unwrap();
    assert!(
        body.contains("\"notizie_comune\" (it)")
            && body.contains(
                "Meta aggiunge: Your WhatsApp message template notizie_comune has been paused"
            )
            && body.contains("non può essere approvata"),
        "{body}"
    );
    let draft = admin
        .say("broadcast eventi Mercato straordinario in piazza")
        .await;
    assert!(
        draft.contains("⚠️") && draft.contains("(PAUSED)"),
        "{draft}"
    );
    let refused = admin.say("approve 2").await;
    assert!(refused.contains("La diffusione #2 non parte"), "{refused}");

    // Approved again, but its quality is red: still refused; green again: it goes.
    let red = stack
        .sim
        .change_template_quality("notizie_comune", "it", "YELLOW", "RED");
    let back = stack
        .sim
        .change_template_status("notizie_comune", "it", "REINSTATED", None);
    assert_eq!(stack.sim.post(&red).await, 200);
    assert_eq!(stack.sim.post(&back).await, 200);
    eventually("the reinstatement notice", || async {
        notices(&admin, "approvato da Meta").await.pop()
    })
    .await;
    let red_notice = notices(&admin, "da YELLOW a RED").await;
    assert!(
        red_notice[0]["content"]["body"]
            .as_str()
            .unwrap()
            .contains("qualità rossa"),
        "{red_notice:?}"
    );
    let refused = admin.say("approve 2").await;
    assert!(refused.contains("qualità rossa"), "{refused}");
    let green = stack
        .sim
        .change_template_quality("notizie_comune", "it", "RED", "GREEN");
    assert_eq!(stack.sim.post(&green).await, 200);
    eventually("the green notice", || async {
        notices(&admin, "da RED a GREEN").await.pop()
    })
    .await;
    let started = admin.say("approve 2").await;
    assert!(!started.contains("non parte"), "{started}");
    template_sends(&stack, 4).await;
    assert_eq!(
        notices(&admin, "sospeso da Meta").await.len(),
        1,
        "the repeated webhook told once"
    );

    // An announced recategorisation: the price changes.
    let soon = stack.sim.template_category_notice(
        "riprendi_conversazione",
        "it",
        "UTILITY",
        "MARKETING",
        1_800_000_000,
    );
    assert_eq!(stack.sim.post(&soon).await, 200);
    eventually("the category notice", || async {
        notices(&admin, "cambierà la categoria").await.pop()
    })
    .await;

    // A restart reads the list again: a template added meanwhile is offered.
    stack.stop_bridge().await;
    // Meanwhile: each send's status keeps what Meta charges for it.
    let wamid = stack
        .sim
        .accepted()
        .into_iter()
        .find(|r| r.body["type"] == "template")
        .map(|r| r.response["messages"][0]["id"].as_str().unwrap().to_owned())
        .unwrap();
    {
        let store = sportello::store::Store::open(&stack.config.raw.store.path).unwrap();
        let status = store.status_record(&wamid).unwrap().unwrap();
        assert_eq!(
            status.pricing,
            Some(sportello::store::Priced {
                kind: "regular".into(),
                category: "marketing".into()
            })
        );
    }
    stack.sim.approve_template(ApprovedTemplate {
        name: "chiusura_uffici".into(),
        category: "UTILITY".into(),
        ..Default::default()
    });
    stack.start_bridge().await.unwrap();
    eventually("the start-up reading", || async {
        admin
            .say("!templates")
            .await
            .contains("!template chiusura_uffici ·")
            .then_some(())
    })
    .await;
}

/// Read at start-up. In a citizen's room: `!template` by a Meta name fills named parameters; a paused template
/// and one whose header needs an image are explained, nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_send_meta_templates_by_name() {
    // The account holds them before the bridge starts: read at start-up.
    let stack = stack_with(StackOptions {
        templates_from_meta: true,
        account_templates: account(),
        extra_toml: TOML.into(),
        ..Default::default()
    })
    .await;
    let admin = Admin::join(&stack, "anna").await;
    eventually("the start-up reading", || async {
        admin
            .say("!templates")
            .await
            .contains("Templates read from Meta on")
            .then_some(())
    })
    .await;
    let anna = Citizen::phone("393331234567", "Anna");
    let (mario, room) = citizen_writes(&stack, &anna, "Buongiorno, è aperto l'ufficio?").await;
    let say = |body: &'static str| {
        let (mario, room) = (&mario, &room);
        async move {
            mario
                .send(room, json!({"msgtype": "m.text", "body": body}))
                .await
        }
    };
    say("!template scadenze \"30 novembre\"").await;
    say("!template foto_evento \"Festa\"").await;
    let n = mario
        .wait_for(&room, 2, "the two explanations", |e| e["sender"] == BOT)
        .await;
    let text = |i: usize| n[i]["content"]["body"].as_str().unwrap().to_owned();
    assert!(
        text(0).contains("not approved by Meta now (PAUSED)"),
        "{}",
        text(0)
    );
    assert!(
        text(1).contains("header with an attachment (image)"),
        "{}",
        text(1)
    );
    say("!template notizie_comune \"Festa d'autunno: è in piazza\"").await;
    let sends = template_sends(&stack, 1).await;
    assert_eq!(sends.len(), 1, "the refused ones were not sent");
    assert_eq!(
        sends[0]["template"]["components"][0]["parameters"][0],
        json!({"type": "text", "text": "Festa d'autunno: è in piazza", "parameter_name": "notizia"})
    );
}
