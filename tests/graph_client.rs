//! The Graph API client against the simulator: sends, read marks, typed errors, timeouts.

use std::time::Duration;

use sportello::ids::{Bsuid, CitizenKey, WaId, WaMessageId};
use sportello::whatsapp::{GraphClient, GraphError, Handling, TokenState};
use sportello_simulator::{Failure, SimConfig, Simulator};

async fn setup(token: Option<&str>) -> (Simulator, GraphClient) {
    let sim = Simulator::start(SimConfig {
        auto_statuses: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let cfg = sim.config().clone();
    let client = GraphClient::new(
        &sim.base_url(),
        "v23.0",
        &cfg.phone_number_id,
        token.unwrap_or(&cfg.access_token),
        Duration::from_secs(2),
    );
    (sim, client)
}

#[tokio::test]
async fn sends_text_with_context_and_marks_read() {
    let (sim, g) = setup(None).await;
    let to = CitizenKey::Phone(WaId::parse("393331234567").unwrap());
    let sent = g
        .send_text(&to, "ciao", Some(&WaMessageId::new("wamid.Q")))
        .await
        .unwrap();
    assert!(sent.id.expose().starts_with("wamid."));
    let bsuid = CitizenKey::Bsuid(Bsuid::parse("US.13491208655302741918").unwrap());
    g.send_text(&bsuid, "hi", None).await.unwrap();
    g.mark_read(&WaMessageId::new("wamid.IN"), false)
        .await
        .unwrap();
    let rec = sim.recorded();
    assert_eq!(rec.len(), 3);
    assert_eq!(rec[0].body["context"]["message_id"], "wamid.Q");
    assert_eq!(rec[0].body["to"], "393331234567");
    assert_eq!(rec[1].body["recipient"], "US.13491208655302741918");
    assert_eq!(rec[2].body["status"], "read");
    assert_eq!(rec[2].body["message_id"], "wamid.IN");
}

#[tokio::test]
async fn errors_are_typed_and_classified() {
    let (_sim, bad) = setup(Some("expired")).await;
    let to = CitizenKey::Phone(WaId::parse("393331234567").unwrap());
    let e = bad.send_text(&to, "x", None).await.unwrap_err();
    let GraphError::Api {
        code,
        http_status,
        fbtrace_id,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!((*code, *http_status), (190, 401));
    assert!(fbtrace_id.is_some());
    assert_eq!(e.handling(), Handling::Halt);

    let (sim, g) = setup(None).await;
    sim.fail_next(Failure::throughput());
    sim.fail_next(Failure::Http500);
    sim.fail_next(Failure::window_closed());
    sim.fail_next(Failure::Delay(Duration::from_secs(4)));
    assert_eq!(
        g.send_text(&to, "x", None).await.unwrap_err().code(),
        Some(130429)
    );
    let e500 = g.send_text(&to, "x", None).await.unwrap_err();
    assert!(matches!(e500, GraphError::Unexpected { status: 500, .. }));
    assert_eq!(e500.handling(), Handling::Retry);
    let closed = g.send_text(&to, "x", None).await.unwrap_err();
    assert_eq!(
        (closed.code(), closed.handling()),
        (Some(131047), Handling::Drop)
    );
    let slow = g.send_text(&to, "x", None).await.unwrap_err();
    assert!(matches!(slow, GraphError::Timeout), "{slow:?}");
    assert_eq!(slow.handling(), Handling::Drop, "a timeout is never resent");

    // Nothing listening: a definite failure, safe to retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = GraphClient::new(
        &format!("http://127.0.0.1:{port}"),
        "v23.0",
        "1",
        "t",
        Duration::from_secs(2),
    );
    let e = gone.send_text(&to, "x", None).await.unwrap_err();
    assert!(matches!(e, GraphError::Unreachable(_)), "{e:?}");
    assert_eq!(e.handling(), Handling::Retry);
}

/// The client notes what Meta last said of the token: accepted by any answered call,
/// refused by 190, and left as it was by a failure that says nothing of it.
#[tokio::test]
async fn the_client_notes_whether_meta_accepts_the_token() {
    let (sim, g) = setup(None).await;
    assert_eq!(g.token_state(), TokenState::Unknown);
    g.check().await.unwrap();
    assert_eq!(g.token_state(), TokenState::Accepted);
    sim.revoke_token(true);
    let to = CitizenKey::Phone(WaId::parse("393331234567").unwrap());
    let refused = g.send_text(&to, "Buongiorno", None).await.unwrap_err();
    assert!(refused.refuses_token(), "{refused}");
    assert!(matches!(
        g.token_state(),
        TokenState::Refused { code: 190, .. }
    ));
    sim.fail_next(Failure::service_unavailable());
    sim.revoke_token(false);
    let busy = g.send_text(&to, "Buongiorno", None).await.unwrap_err();
    assert!(!busy.refuses_token(), "{busy}");
    assert!(
        matches!(g.token_state(), TokenState::Refused { .. }),
        "a 503 says nothing of the token"
    );
    g.check().await.unwrap();
    assert_eq!(g.token_state(), TokenState::Accepted);
}

/// The account's templates, page by page (Meta's cursors): all 130 read in two pages, in
/// Meta's shape (named parameters, media header, category); a wrong account or token refused.
#[tokio::test]
async fn reads_every_template_of_the_account_across_pages() {
    use sportello_simulator::templates::ApprovedTemplate;
    let (sim, g) = setup(None).await;
    for i in 0..130 {
        sim.approve_template(ApprovedTemplate {
            name: format!("avviso_{i:03}"),
            body_params: i % 3,
            category: if i % 2 == 0 { "UTILITY" } else { "MARKETING" }.into(),
            header: (i == 7).then(|| "image".into()),
            named: if i == 8 {
                vec!["giorno".into(), "luogo".into()]
            } else {
                vec![]
            },
            ..Default::default()
        });
    }
    let waba = sim.config().waba_id.clone();
    let listed = g.templates(&waba).await.unwrap();
    assert_eq!((listed.templates.len(), listed.unreadable), (130, 0));
    let gets = sim
        .recorded()
        .into_iter()
        .filter(|r| r.path.ends_with("/message_templates"))
        .count();
    assert_eq!(gets, 2, "100 per page");
    let t = |i: usize| &listed.templates[i];
    assert_eq!(t(5).body_params, ["1", "2"]);
    assert_eq!(t(7).media_header(), Some("image"));
    assert!(t(8).named && t(8).body_params == ["giorno", "luogo"]);
    assert_eq!(t(9).category.name(), "marketing");
    assert!(matches!(
        g.templates("999").await,
        Err(GraphError::Api { code: 100, .. })
    ));
    sim.revoke_token(true);
    assert!(matches!(
        g.templates(&waba).await,
        Err(GraphError::Api { code: 190, .. })
    ));
}
