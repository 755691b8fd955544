//! Texts of the helpdesk: a conversation's state in the room name, topic and space, the
//! commands' answers, the mention of the assignee, `!open`. Same rules as the main catalog.

pub(super) const HELPDESK: &[(&str, &str, &str)] = &[
    ("conv_prefix_new", "🔴 Nuova · ", "🔴 New · "),
    ("conv_prefix_open", "🟡 Aperta · ", "🟡 Open · "),
    ("conv_prefix_waiting", "⏳ In attesa · ", "⏳ Waiting · "),
    ("conv_prefix_closed", "✅ Chiusa · ", "✅ Closed · "),
    ("conv_state_new", "nuova, da rispondere", "new, to answer"),
    ("conv_state_open", "aperta", "open"),
    (
        "conv_state_waiting",
        "in attesa del cittadino",
        "waiting for the citizen",
    ),
    ("conv_state_closed", "chiusa", "closed"),
    ("conv_assignee", "in carico a {who}", "handled by {who}"),
    ("conv_nobody", "nessuno in carico", "nobody handles it"),
    (
        "conv_topic",
        "Conversazione {state} dal {since}, {who}",
        "Conversation {state} since {since}, {who}",
    ),
    ("shelf_to_answer", "Da rispondere", "To answer"),
    ("shelf_in_progress", "In corso", "In progress"),
    ("shelf_closed", "Chiuse", "Closed"),
    (
        "conv_mention",
        "{who}: il cittadino ha scritto di nuovo.",
        "{who}: the citizen wrote again.",
    ),
    (
        "conv_claimed",
        "In carico a {who}.",
        "Now handled by {who}.",
    ),
    ("conv_assigned", "Assegnata a {who}.", "Assigned to {who}."),
    (
        "conv_not_staff",
        "{who} non è nello staff (office.staff): non può prenderla in carico.",
        "{who} is not staff (office.staff): they cannot handle it.",
    ),
    (
        "conv_unassigned",
        "Nessuno la ha più in carico.",
        "Nobody handles it any more.",
    ),
    (
        "conv_closed",
        "Conversazione chiusa. Se il cittadino scrive di nuovo, si riapre.",
        "Conversation closed. If the citizen writes again, it opens again.",
    ),
    (
        "conv_closed_note",
        "Conversazione chiusa: {note}. Se il cittadino scrive di nuovo, si riapre.",
        "Conversation closed: {note}. If the citizen writes again, it opens again.",
    ),
    (
        "conv_reopened",
        "Conversazione riaperta.",
        "Conversation open again.",
    ),
    (
        "conv_waiting",
        "In attesa della risposta del cittadino.",
        "Waiting for the citizen's answer.",
    ),
    (
        "conv_note",
        "🔒 Nota interna di {who} (non inviata al cittadino): {text}",
        "🔒 Internal note by {who} (not sent to the citizen): {text}",
    ),
    (
        "conv_none_open",
        "Nessuna conversazione aspetta una risposta.",
        "No conversation waits for an answer.",
    ),
    (
        "conv_open_list",
        "Conversazioni da rispondere ({n}), dalla più vecchia:\n{list}",
        "Conversations to answer ({n}), oldest first:\n{list}",
    ),
    (
        "conv_remind",
        "⏰ {who}: il cittadino aspetta una risposta da {minutes} minuti di apertura dell'ufficio.",
        "⏰ {who}: the citizen has waited {minutes} minutes of office time for an answer.",
    ),
    (
        "conv_window_closing",
        "⏰ La finestra di 24 ore di WhatsApp si chiude il {when} (tra {minutes} minuti) e il cittadino aspetta una risposta: dopo, solo un modello approvato lo raggiunge.",
        "⏰ WhatsApp's 24-hour window closes on {when} (in {minutes} minutes) and the citizen waits for an answer: after that, only an approved template reaches them.",
    ),
    (
        "csat_question",
        "Come è andata la sua richiesta all'ufficio?",
        "How did the office handle your request?",
    ),
    ("csat_good", "😊 Bene", "😊 Well"),
    ("csat_ok", "😐 Così così", "😐 So-so"),
    ("csat_bad", "🙁 Male", "🙁 Badly"),
    (
        "csat_told",
        "⭐ Gradimento del cittadino: {rating}",
        "⭐ The citizen's rating: {rating}",
    ),
    (
        "conv_closing_sent",
        "Chiusura: inviati al cittadino il messaggio di chiusura e/o la domanda di gradimento.",
        "Closing: the closing message and/or the satisfaction question went to the citizen.",
    ),
    (
        "conv_closing_window",
        "Chiusura: la finestra di 24 ore è chiusa, al cittadino non è stato inviato nulla.",
        "Closing: the 24-hour window is closed, nothing was sent to the citizen.",
    ),
    ("conv_head_citizen", "cittadino", "citizen"),
    ("conv_head_state", "stato", "state"),
    ("conv_head_assignee", "in carico a", "handled by"),
    ("conv_head_waiting", "aspetta da", "waiting for"),
    (
        "help_claim",
        "prendi in carico questa conversazione",
        "take this conversation: you handle it",
    ),
    (
        "help_assign",
        "assegna questa conversazione a un membro dello staff",
        "give this conversation to a staff member",
    ),
    (
        "help_unassign",
        "nessuno ha più in carico questa conversazione",
        "nobody handles this conversation any more",
    ),
    (
        "help_close",
        "chiudi questa conversazione (se il cittadino riscrive, si riapre)",
        "close this conversation (the citizen writing again reopens it)",
    ),
    (
        "help_reopen",
        "riapri questa conversazione",
        "open this conversation again",
    ),
    (
        "help_wait",
        "aspetta la risposta del cittadino",
        "wait for the citizen's answer",
    ),
    (
        "help_note",
        "una nota interna in questa stanza: non viene mai inviata al cittadino",
        "an internal note in this room: never sent to the citizen",
    ),
    (
        "help_open",
        "le conversazioni che aspettano una risposta, dalla più vecchia",
        "the conversations that need an answer, oldest first",
    ),
];
