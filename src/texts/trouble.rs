//! Texts about undelivered work: staff messages whose outcome is unknown or that failed, dead
//! letters, items given up and why, stalled queues, and
//! the admin-room replies of `!queues`, `!deadletters`, `!retry` and `!drop`. Same rules as
//! the main catalog.

pub(super) const TROUBLE: &[(&str, &str, &str)] = &[
    // The bridge's own health, told in the admin room.
    (
        "alert_token_refused",
        "⚠️ Meta rifiuta il token di accesso di WhatsApp: nessun messaggio esce. Rinnova il token del System User (Meta Business Settings → Utenti di sistema → Genera token, con whatsapp_business_messaging), mettilo in whatsapp.access_token e riavvia il bridge. I messaggi dei cittadini continuano ad arrivare.",
        "⚠️ Meta refuses the WhatsApp access token: no message goes out. Renew the System User's token (Meta Business Settings → System users → Generate token, with whatsapp_business_messaging), put it in whatsapp.access_token and restart the bridge. Citizens' messages still arrive.",
    ),
    (
        "alert_token_ok",
        "✅ Meta accetta di nuovo il token di accesso: i messaggi escono.",
        "✅ Meta accepts the access token again: messages go out.",
    ),
    (
        "alert_meta_down",
        "⚠️ L'API di WhatsApp (Meta) non risponde da più di {minutes} minuti: le risposte restano in coda e partiranno quando tornerà raggiungibile.",
        "⚠️ The WhatsApp API (Meta) has not answered for more than {minutes} minutes: answers wait in their queues and go out once it is back.",
    ),
    (
        "alert_meta_up",
        "✅ L'API di WhatsApp (Meta) risponde di nuovo.",
        "✅ The WhatsApp API (Meta) answers again.",
    ),
    (
        "alert_homeserver_down",
        "⚠️ Il server Matrix non risponde al bridge da più di {minutes} minuti: i messaggi dei cittadini sono salvati e arriveranno nelle stanze appena torna.",
        "⚠️ The Matrix homeserver has not answered the bridge for more than {minutes} minutes: citizens' messages are kept and reach their rooms once it is back.",
    ),
    (
        "alert_homeserver_up",
        "✅ Il server Matrix risponde di nuovo al bridge.",
        "✅ The Matrix homeserver answers the bridge again.",
    ),
    // A staff message that may not have gone out, or did not.
    (
        "unknown_outcome",
        "Il bridge si è fermato mentre inviava questo messaggio: potrebbe essere arrivato o no. Non è stato reinviato per evitare un doppione: verifica con il cittadino o invialo di nuovo.",
        "The bridge stopped while sending this message, so it may or may not have reached the citizen. It was not sent again, to avoid a duplicate: check with the citizen, or send it again.",
    ),
    (
        "no_number",
        "Non inviato: questa stanza non ha un numero WhatsApp registrato.",
        "Not sent: this room has no WhatsApp number on record.",
    ),
    (
        "not_sent",
        "Non inviato a WhatsApp. {reason}",
        "Not sent to WhatsApp. {reason}",
    ),
    (
        "not_delivered",
        "Non consegnato. {reason}",
        "Not delivered. {reason}",
    ),
    (
        "not_delivered_after",
        "Non consegnato dopo {attempts} tentativi. {reason}",
        "Not delivered after {attempts} attempts. {reason}",
    ),
    (
        "dead_letter",
        "Meta ha inviato qualcosa che il bridge non sa leggere: è conservato tra i non consegnati (n. {seq}) e non è andato perso. Motivo: {reason}. `!deadletters` li elenca, `!retry {seq}` lo rilegge.",
        "Meta sent something the bridge cannot read: it is kept among the undelivered items (no. {seq}), not lost. Reason: {reason}. `!deadletters` lists them, `!retry {seq}` reads it again.",
    ),
    (
        "dead_letter_matrix",
        "Il server Matrix ha inviato qualcosa che il bridge non sa leggere: è conservato tra i non consegnati (n. {seq}) e non è andato perso. Motivo: {reason}. `!deadletters` li elenca, `!retry {seq}` lo rilegge.",
        "The homeserver sent something the bridge cannot read: it is kept among the undelivered items (no. {seq}), not lost. Reason: {reason}. `!deadletters` lists them, `!retry {seq}` reads it again.",
    ),
    (
        "router_panic",
        "il bridge ha avuto un errore interno leggendola (un difetto di Sportello)",
        "the bridge hit an internal error reading it (a bug in Sportello)",
    ),
    // A staff member left a citizen's room (see bridge/portal/staff.rs).
    (
        "staff_left",
        "{who} ha lasciato questa conversazione: riceverà un nuovo invito quando il cittadino scriverà ancora.",
        "{who} left this conversation and will be invited back when the citizen writes again.",
    ),
    // Items given up (see bridge/engine/failure.rs), and the commands that show them.
    (
        "internal_error",
        "errore interno del bridge (un difetto di Sportello: {detail})",
        "internal error of the bridge (a bug in Sportello: {detail})",
    ),
    (
        "admin_queue_name",
        "stanza di amministrazione",
        "admin room",
    ),
    (
        "queues_none",
        "Nessuna coda in attesa: tutto è stato consegnato.",
        "No queue is waiting: everything was delivered.",
    ),
    (
        "queues_list",
        "Code in attesa (cittadino · elementi · il primo aspetta da · ultimo errore):\n{list}",
        "Waiting queues (citizen · items · the first waiting for · last error):\n{list}",
    ),
    (
        "dead_letters_none",
        "Nessun elemento non consegnato.",
        "Nothing undelivered is kept.",
    ),
    (
        "dead_letters_list",
        "Non consegnati (n. · quando · da · perché):\n{list}",
        "Undelivered (no. · when · from · why):\n{list}",
    ),
    (
        "dead_letter_unknown",
        "Non c'è un non consegnato n. {id} (`!deadletters` li elenca).",
        "There is no undelivered item no. {id} (`!deadletters` lists them).",
    ),
    (
        "dead_letter_dropped",
        "Non consegnato n. {id} scartato.",
        "Undelivered item no. {id} discarded.",
    ),
    (
        "dead_letter_requeued",
        "Non consegnato n. {id} rimesso in coda per {who}: sarà riprovato dopo il resto della sua coda.",
        "Undelivered item no. {id} queued again for {who}: it is tried after the rest of their queue.",
    ),
    (
        "dead_letter_rerouted",
        "Non consegnato n. {id} rimesso in ingresso: sarà letto di nuovo.",
        "Undelivered item no. {id} put back in the inbox: it will be read again.",
    ),
    (
        "dead_letter_not_retryable",
        "Il n. {id} è una parte di una consegna di Meta che il bridge non sa usare: resta qui per essere esaminato; `!drop {id}` lo scarta.",
        "No. {id} is a part of a delivery from Meta that the bridge cannot use: it stays here to be looked at; `!drop {id}` discards it.",
    ),
    (
        "stalled",
        "⏳ La coda di {who} è ferma: {items} in attesa, il primo da {age}. {error}`!queues` mostra tutte le code.",
        "⏳ The queue of {who} is stuck: {items} waiting, the first for {age}. {error}`!queues` shows every queue.",
    ),
    (
        "sweep_panic",
        "⚠️ Il controllo periodico della finestra di 24 ore ha avuto un errore interno sulla stanza di {who} (un difetto di Sportello): quella stanza è saltata, le altre no.",
        "⚠️ The periodic 24-hour window check hit an internal error on the room of {who} (a bug in Sportello): that room is skipped, the others are not.",
    ),
    (
        "broadcast_recipient_panic",
        "⚠️ Notiziario {broadcast}: errore interno decidendo l'invio a {who} (un difetto di Sportello). Non gli è stato inviato; gli altri destinatari proseguono. Conservato come non consegnato n. {id}.",
        "⚠️ Broadcast {broadcast}: internal error deciding the send to {who} (a bug in Sportello). It was not sent to them; the other recipients go on. Kept as undelivered no. {id}.",
    ),
    (
        "stalled_error",
        "Ultimo errore: {error}. ",
        "Last error: {error}. ",
    ),
    // Items given up (see bridge/engine/failure.rs).
    (
        "given_up",
        "⚠️ Non è stato possibile {what}: {reason}. È conservato tra i non consegnati (n. {id}) e gli amministratori sono stati avvisati.",
        "⚠️ Could not {what}: {reason}. It is kept among the undelivered items (no. {id}) and the admins were told.",
    ),
    (
        "given_up_admin",
        "⚠️ Non consegnato n. {id} ({who}): non è stato possibile {what}: {reason}. `!deadletters` li elenca, `!retry {id}` riprova, `!drop {id}` lo scarta.",
        "⚠️ Undelivered no. {id} ({who}): could not {what}: {reason}. `!deadletters` lists them, `!retry {id}` tries again, `!drop {id}` discards it.",
    ),
    (
        "gave_up_after",
        "ancora non riuscito dopo {after} di tentativi ({reason})",
        "still failing after {after} of attempts ({reason})",
    ),
    (
        "what_staff",
        "inviare questo messaggio a WhatsApp",
        "send this message to WhatsApp",
    ),
    (
        "what_command",
        "completare questo comando",
        "complete this command",
    ),
    (
        "what_bot",
        "inviare le risposte automatiche al cittadino",
        "send the automatic answers to the citizen",
    ),
    (
        "what_citizen",
        "mostrare qui un messaggio del cittadino",
        "show a message of the citizen here",
    ),
    (
        "what_status",
        "mostrare lo stato di consegna di un messaggio",
        "show the delivery status of a message",
    ),
    (
        "what_identity",
        "registrare il nuovo numero del cittadino",
        "record the citizen's new number",
    ),
    (
        "what_echo",
        "mostrare qui un messaggio inviato dall'app WhatsApp Business",
        "show here a message sent from the WhatsApp Business app",
    ),
    (
        "what_history",
        "importare qui la cronologia della chat dall'app WhatsApp Business",
        "import here the chat history from the WhatsApp Business app",
    ),
    (
        "what_other",
        "completare un'operazione per questa stanza",
        "complete a task for this room",
    ),
];
