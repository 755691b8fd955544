//! Texts of citizens' data rights: exports, erasures (what was and was not erased), citizens'
//! requests and their deadlines, the retention sweep. Same rules as the main catalog.

pub(super) const PRIVACY: &[(&str, &str, &str)] = &[
    (
        "help_export",
        "tutto ciò che il bridge conserva di un cittadino e la sua conversazione, come file nella stanza di amministrazione (diritto di accesso, GDPR)",
        "everything the bridge holds about a citizen and their conversation, as files in the admin room (GDPR access)",
    ),
    (
        "help_forget",
        "cancella un cittadino dal bridge (diritto alla cancellazione, GDPR); la stanza secondo privacy.erase_in_matrix",
        "erase a citizen from the bridge (GDPR erasure); the room by privacy.erase_in_matrix",
    ),
    (
        "help_requests",
        "le richieste di cancellazione aperte dei cittadini e le loro scadenze; chiude una richiesta respinta",
        "citizens' open erasure requests and their deadlines; close one turned down",
    ),
    // Sections of what the bridge holds (an export's headings, an erasure's report).
    (
        "privacy_section_portal",
        "scheda del cittadino",
        "citizen's record",
    ),
    (
        "privacy_section_conversation",
        "stato della conversazione",
        "conversation state",
    ),
    (
        "privacy_section_subscription",
        "iscrizione alle notizie",
        "news subscription",
    ),
    ("privacy_section_block", "blocco", "block"),
    (
        "privacy_section_room_links",
        "collegamenti alla stanza e al fantasma",
        "links to the room and the ghost",
    ),
    (
        "privacy_section_contact_name",
        "nome nella rubrica del telefono dell'ufficio",
        "name in the office phone's contacts",
    ),
    (
        "privacy_section_queued_work",
        "lavoro in coda",
        "queued work",
    ),
    (
        "privacy_section_held_answers",
        "risposte in attesa",
        "held answers",
    ),
    (
        "privacy_section_consent_ledger",
        "registro dei consensi",
        "consent ledger",
    ),
    (
        "privacy_section_message_map",
        "collegamenti tra messaggi WhatsApp e Matrix",
        "WhatsApp ↔ Matrix message links",
    ),
    (
        "privacy_section_broadcasts",
        "notizie ricevute",
        "news received",
    ),
    (
        "privacy_section_identities",
        "identità WhatsApp",
        "WhatsApp identities",
    ),
    (
        "privacy_section_news_lists",
        "liste di notizie",
        "news lists",
    ),
    (
        "privacy_section_statuses",
        "stati di consegna",
        "delivery statuses",
    ),
    ("privacy_section_reactions", "reazioni", "reactions"),
    (
        "privacy_section_erasure_requests",
        "richieste di cancellazione",
        "erasure requests",
    ),
    (
        "privacy_section_dead_letters",
        "consegne non riuscite",
        "failed deliveries",
    ),
    (
        "privacy_section_marks",
        "segni contro i duplicati",
        "duplicate marks",
    ),
    (
        "privacy_section_audit",
        "righe del registro dei comandi (riscritte senza il cittadino)",
        "command log lines (rewritten without the citizen)",
    ),
    (
        "privacy_section_shared_history",
        "cronologia condivisa dall'app (riscritta senza il cittadino)",
        "history shared from the app (rewritten without the citizen)",
    ),
    ("privacy_section_other", "altri dati", "other data"),
    ("privacy_nothing_held", "nulla", "nothing"),
    // Erasure.
    (
        "forget_queued",
        "🗑 Cancellazione di {who} in coda (motivo: {reason}; stanza: {mode}). Avviene dopo il lavoro già in coda per questo cittadino; l'esito arriva qui.",
        "🗑 Erasure of {who} queued (reason: {reason}; room: {mode}). It runs after the work already queued for this citizen; the outcome comes here.",
    ),
    (
        "forget_done",
        "🗑 {who} è stato cancellato dal bridge (da {by}, motivo: {reason}).\nCancellato: {list}.\nIn Matrix: {matrix}\nNon cancellato: i messaggi presso Meta e sul telefono del cittadino (WhatsApp non permette di cancellarli); le righe di questa stanza che nominano il numero. Resta solo il registro della cancellazione: un'impronta cifrata del numero, la data, chi e il motivo, che impedisce di reimportare i suoi vecchi messaggi. Se il cittadino scrive di nuovo, inizia una nuova conversazione in una nuova stanza.",
        "🗑 {who} was erased from the bridge (by {by}, reason: {reason}).\nErased: {list}.\nIn Matrix: {matrix}\nNot erased: the messages at Meta and on the citizen's phone (WhatsApp offers no way to delete them); this room's lines that name the number. Only the erasure record stays: a keyed hash of the number, the date, who and why, which keeps their old messages from being imported again. If the citizen writes again, a new conversation starts in a new room.",
    ),
    (
        "forget_matrix_none",
        "il cittadino non aveva una stanza.",
        "the citizen had no room.",
    ),
    (
        "forget_matrix_kept",
        "la stanza resta come archivio dell'ufficio, con i messaggi (privacy.erase_in_matrix = \"keep\"); il fantasma l'ha lasciata e non è più collegata a nessuno.",
        "the room stays as the office's record, with its messages (privacy.erase_in_matrix = \"keep\"); the ghost left it and it is linked to no one.",
    ),
    (
        "forget_matrix_redacted",
        "{n} eventi del cittadino oscurati, la stanza e il fantasma rinominati, il fantasma uscito. I file restano nell'archivio media del server Matrix finché un amministratore di Synapse non li cancella (API di amministrazione dei media): {media}. I messaggi dello staff restano.",
        "{n} of the citizen's events redacted, the room and the ghost renamed, the ghost gone. The files stay in the homeserver's media store until a Synapse administrator deletes them (the media admin API): {media}. Staff messages stay.",
    ),
    (
        "forget_matrix_refused",
        "Il server Matrix ha rifiutato: {what}.",
        "The homeserver refused: {what}.",
    ),
    (
        "forget_room_kept",
        "🗑 I dati di questo cittadino sono stati cancellati dal bridge il {when}. La stanza resta come archivio dell'ufficio: ciò che scrivete qui non arriva a nessuno.",
        "🗑 This citizen's data was erased from the bridge on {when}. The room stays as the office's record: nothing written here reaches anyone.",
    ),
    (
        "forget_room_redacted",
        "🗑 I dati di questo cittadino sono stati cancellati il {when}: i suoi messaggi sono stati oscurati. Ciò che scrivete qui non arriva a nessuno.",
        "🗑 This citizen's data was erased on {when}: their messages were redacted. Nothing written here reaches anyone.",
    ),
    (
        "forget_redaction_reason",
        "Cancellazione dei dati del cittadino",
        "The citizen's data was erased",
    ),
    ("forget_room_name", "Cittadino cancellato", "Erased citizen"),
    // Access.
    (
        "export_title",
        "Dati conservati dal servizio WhatsApp dell'ufficio",
        "Data held by the office's WhatsApp service",
    ),
    (
        "export_intro",
        "Questa è la copia di tutto ciò che il servizio conserva su di te e della tua conversazione con l'ufficio (art. 15 del Regolamento europeo sulla protezione dei dati).",
        "This is a copy of everything the service holds about you and of your conversation with the office (art. 15 of the EU General Data Protection Regulation).",
    ),
    ("export_office", "Ufficio", "Office"),
    (
        "export_identities",
        "Numero e identificativi WhatsApp",
        "WhatsApp number and ids",
    ),
    ("export_generated", "Preparato il", "Prepared on"),
    (
        "export_conversation",
        "La conversazione",
        "The conversation",
    ),
    (
        "export_conversation_caption",
        "Messaggi in ordine di tempo",
        "Messages in time order",
    ),
    (
        "export_no_conversation",
        "Non c'è una conversazione.",
        "There is no conversation.",
    ),
    ("export_when", "Quando", "When"),
    ("export_who", "Chi", "Who"),
    ("export_what", "Messaggio", "Message"),
    ("export_attachment", "Allegato", "Attachment"),
    ("export_citizen", "cittadino", "citizen"),
    ("export_office_side", "ufficio", "office"),
    (
        "export_service",
        "servizio (nota per l'ufficio)",
        "service (note for staff)",
    ),
    (
        "export_held",
        "Dati tecnici conservati",
        "Technical data held",
    ),
    (
        "export_elsewhere",
        "Dove altro sono i tuoi dati",
        "Where else your data is",
    ),
    (
        "export_elsewhere_meta",
        "Meta (WhatsApp) tratta i messaggi come responsabile del trattamento per conto dell'ufficio; le copie sul tuo telefono e presso Meta non sono in questo file.",
        "Meta (WhatsApp) processes the messages as processor for the office; the copies on your phone and at Meta are not in this file.",
    ),
    (
        "export_elsewhere_matrix",
        "La conversazione è conservata sul server Matrix dell'ufficio, dove la legge lo staff.",
        "The conversation is kept on the office's Matrix server, where staff read it.",
    ),
    (
        "export_nothing",
        "Il bridge non conserva nulla su {who}.",
        "The bridge holds nothing about {who}.",
    ),
    (
        "export_done",
        "📦 Esportazione di {who} ({when}): {messages} messaggi e {records} dati conservati, in due file nella stanza di amministrazione (JSON e una pagina HTML da consegnare al cittadino).",
        "📦 Export of {who} ({when}): {messages} messages and {records} records, in two files in the admin room (JSON, and an HTML page to give the citizen).",
    ),
    // Citizens' requests.
    (
        "request_ack",
        "Abbiamo ricevuto la tua richiesta di cancellare i tuoi dati. L'ufficio ti risponderà entro il {due}.",
        "We have received your request to erase your data. The office will answer you by {due}.",
    ),
    (
        "request_notice",
        "🗑 Il cittadino chiede la cancellazione dei suoi dati (richiesta {n}, risposta entro il {due}). Per cancellare: !forget this room <motivo>. Le richieste aperte: !requests nella stanza di amministrazione.",
        "🗑 The citizen asks for their data to be erased (request {n}, answer due by {due}). To erase: !forget this room <reason>. Open requests: !requests in the admin room.",
    ),
    (
        "request_admin",
        "🗑 Richiesta di cancellazione {n} da {who}: risposta entro il {due}. Nella sua stanza: !forget this room <motivo>; !requests close {n} <motivo> se non va accolta.",
        "🗑 Erasure request {n} from {who}: answer due by {due}. In their room: !forget this room <reason>; !requests close {n} <reason> if it is turned down.",
    ),
    (
        "requests_none",
        "Nessuna richiesta di cancellazione aperta.",
        "No open erasure requests.",
    ),
    (
        "requests_list",
        "Richieste di cancellazione aperte:\n{list}",
        "Open erasure requests:\n{list}",
    ),
    ("requests_left", "{days} giorni rimasti", "{days} days left"),
    (
        "requests_overdue",
        "⚠️ scaduta da {days} giorni",
        "⚠️ overdue by {days} days",
    ),
    (
        "requests_unknown",
        "Nessuna richiesta aperta con il numero {n} (vedi !requests).",
        "No open request numbered {n} (see !requests).",
    ),
    (
        "requests_closed",
        "Richiesta {n} di {who} chiusa senza cancellazione da {by}: {why}. Comunicalo al cittadino con il motivo.",
        "Request {n} from {who} closed without erasure by {by}: {why}. Tell the citizen, with the reason.",
    ),
    (
        "request_due_soon",
        "⏰ La richiesta di cancellazione {n} di {who} scade il {due}.",
        "⏰ Erasure request {n} from {who} is due on {due}.",
    ),
    (
        "request_overdue",
        "⚠️ La richiesta di cancellazione {n} di {who} è scaduta il {due}: il cittadino aspetta una risposta.",
        "⚠️ Erasure request {n} from {who} was due on {due}: the citizen is waiting for an answer.",
    ),
    // Retention.
    (
        "retention_reason",
        "nessun messaggio da {days} giorni",
        "no message for {days} days",
    ),
    (
        "retention_done",
        "🧹 Conservazione dei dati: {erased} cittadini senza messaggi da {days} giorni e senza iscrizioni vengono cancellati; {entries} voci del registro dei consensi di {citizens} iscrizioni terminate da più di {ledger_days} giorni cancellate.",
        "🧹 Retention: {erased} citizens with no message for {days} days and no subscription are being erased; {entries} consent-ledger entries of {citizens} subscriptions ended more than {ledger_days} days ago deleted.",
    ),
];
