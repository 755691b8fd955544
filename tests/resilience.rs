//! A conversation never stalls: what once killed a citizen's worker is delivered, and what
//! cannot be delivered is explained, end to end against a real Synapse.

use serde_json::json;

use crate::harness::{Citizen, WAIT, citizen_writes, stack};

/// Element's HTML for ordinary Italian whose formatted parts start with a multi-byte
/// character (accented capitals, emoji): each answer reaches WhatsApp as markup, and so does
/// the plain message after them (once, the first of these killed the citizen's worker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn element_html_starting_with_accents_and_emoji_reaches_whatsapp() {
    let stack = stack().await;
    let sim = &stack.sim;
    let lucia = Citizen::phone("393471112233", "Lucia Bianchi");
    let (mario, room) = citizen_writes(&stack, &lucia, "L'ufficio è aperto oggi?").await;

    let answers = [
        (
            "**È** aperto oggi",
            "<strong>È</strong> aperto oggi",
            "*È* aperto oggi",
        ),
        (
            "_È_ chiuso domani",
            "<em>È</em> chiuso domani",
            "_È_ chiuso domani",
        ),
        (
            "- 🎉 Festa\n- À presto",
            "<ul>\n<li>🎉 Festa</li>\n<li>À presto</li>\n</ul>\n",
            "- 🎉 Festa\n- À presto",
        ),
        (
            "1. Èrcole\n2. Ùmbria",
            "<ol>\n<li>Èrcole</li>\n<li>Ùmbria</li>\n</ol>\n",
            "1. Èrcole\n2. Ùmbria",
        ),
        (
            "> È così\n\nsì",
            "<blockquote>\n<p>È così</p>\n</blockquote>\n<p>sì</p>\n",
            "> È così\nsì",
        ),
    ];
    for (body, html, _) in answers {
        mario
            .send(
                &room,
                json!({
                    "msgtype": "m.text",
                    "body": body,
                    "format": "org.matrix.custom.html",
                    "formatted_body": html,
                }),
            )
            .await;
    }
    mario
        .send(
            &room,
            json!({"msgtype": "m.text", "body": "Buona giornata"}),
        )
        .await;

    let sent = sim.wait_for_messages(answers.len() + 1, WAIT).await;
    let bodies: Vec<&str> = sent
        .iter()
        .map(|m| m["text"]["body"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = answers.iter().map(|(_, _, wa)| *wa).collect();
    expected.push("Buona giornata");
    assert_eq!(bodies, expected);
    assert!(sent.iter().all(|m| m["to"] == "393471112233"));
}
