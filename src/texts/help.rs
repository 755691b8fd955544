//! `!help`'s descriptions of the commands, one row per command (`help_<name>`), and the
//! table's headings. The English column is the command's declaration (`help` in its
//! `CommandSpec`); a test keeps the two the same.

pub(super) const HELP: &[(&str, &str, &str)] = &[
    ("help_head_command", "comando", "command"),
    ("help_head_what", "a cosa serve", "what it does"),
    (
        "help_help",
        "elenca i comandi che puoi usare qui",
        "list the commands you can use here",
    ),
    (
        "help_templates",
        "elenca i modelli WhatsApp che lo staff può inviare (nome, categoria, parametri); con sync, li rilegge subito da Meta",
        "list the WhatsApp templates staff can send (name, category, parameters); with sync, read them from Meta now",
    ),
    (
        "help_template",
        "invia a questo cittadino un modello approvato (funziona anche fuori dalla finestra di 24 ore)",
        "send an approved template to this citizen (works outside the 24-hour window)",
    ),
    (
        "help_migrate-ids",
        "sposta il fantasma e l'alias della stanza di ogni cittadino su identificativi cifrati (bridge.ghost_ids = \"hashed\")",
        "move every citizen's ghost and room alias to hashed ids (bridge.ghost_ids = \"hashed\")",
    ),
    (
        "ids_not_hashed",
        "Prima imposta bridge.ghost_ids = \"hashed\" nella configurazione e riavvia il bridge: i nuovi identificativi non contengono il numero.",
        "Set bridge.ghost_ids = \"hashed\" in the config and restart the bridge first: the new ids do not carry the number.",
    ),
    (
        "ids_all_hashed",
        "Nessun cittadino da spostare: tutti i fantasmi hanno già un identificativo cifrato.",
        "No citizen to move: every ghost already has a hashed id.",
    ),
    (
        "ids_migrating",
        "Spostamento avviato per {n} cittadini: ogni stanza resta com'è, il fantasma con il numero lascia il posto a uno con identificativo cifrato e il vecchio alias viene tolto.",
        "Moving {n} citizens: each room stays as it is, the ghost carrying the number gives way to one with a hashed id, and the old alias is removed.",
    ),
    (
        "help_reply",
        "invia a questo cittadino una risposta pronta ([replies.<name>] nella configurazione)",
        "send this citizen a configured reply ([replies.<name>] in the config)",
    ),
    (
        "help_replies",
        "elenca le risposte pronte",
        "list the configured replies",
    ),
    (
        "help_eurp",
        "invia a questo cittadino l'indirizzo dell'applicazione per reclami e segnalazioni (il nome è configurabile)",
        "send this citizen the address of the complaints web app (the name is configurable)",
    ),
    (
        "help_warn",
        "invia al cittadino il codice di comportamento (prima di bloccarlo)",
        "send the citizen the code of conduct (before blocking)",
    ),
    (
        "help_block",
        "blocca un numero: niente passa in nessuna delle due direzioni; bloccato anche presso Meta quando possibile",
        "stop a number: nothing bridged either way, blocked at Meta when allowed",
    ),
    (
        "help_unblock",
        "toglie un blocco (anche presso Meta)",
        "lift a block (also at Meta)",
    ),
    (
        "help_blocked",
        "elenca i numeri bloccati con motivo, chi e quando",
        "list blocked numbers with reason, who and when",
    ),
    (
        "help_subscribers",
        "quanti cittadini seguono ogni lista di notizie (o una sola lista)",
        "how many citizens follow each news topic (or one topic)",
    ),
    (
        "help_consent",
        "il registro dei consensi di un cittadino: ogni modifica dell'iscrizione, quando, come, versione dell'informativa",
        "the consent ledger of a citizen: every subscription change, when, how, policy version",
    ),
    (
        "help_subscribe",
        "iscrive un cittadino su sua richiesta (la nota dice come l'ha chiesto)",
        "subscribe a citizen at their request (the note says how they asked)",
    ),
    (
        "help_unsubscribe",
        "cancella l'iscrizione di un cittadino su sua richiesta (da tutte le liste se non ne nomini nessuna)",
        "unsubscribe a citizen at their request (all topics when none is named)",
    ),
    (
        "help_broadcast",
        "prepara una notizia per gli iscritti a una lista (testo anche su più righe), con un'anteprima; oppure reinvia una notizia ai destinatari con esito incerto",
        "draft news for the subscribers of a topic (multi-line text), with a preview; or send a broadcast again to its recipients whose outcome was uncertain",
    ),
    (
        "help_approve",
        "avvia l'invio di una notizia preparata",
        "start sending a drafted broadcast",
    ),
    (
        "help_cancel",
        "scarta una bozza, o ferma una notizia in invio",
        "discard a draft, or stop a broadcast that is being sent",
    ),
    (
        "help_broadcasts",
        "elenca le notizie con il loro stato e i conteggi",
        "list broadcasts with their state and counts",
    ),
    (
        "help_hours",
        "orari dell'ufficio, se ora è aperto o chiuso e il prossimo cambio; gli amministratori attivano la modalità emergenza",
        "office hours, open or closed now and the next change; admins switch emergency mode",
    ),
    (
        "help_queues",
        "i cittadini con lavoro in attesa: elementi, da quanto aspetta il primo, l'ultimo errore",
        "citizens with waiting work: items, how long the first has waited, the last error",
    ),
    (
        "help_deadletters",
        "ciò che non è stato possibile consegnare ed è stato conservato: numero, quando, di chi, perché",
        "what could not be delivered and was kept: id, when, whose, why",
    ),
    (
        "help_retry",
        "rimette un elemento non consegnato dove era, per riprovare",
        "put a dead letter back where it came from, to be tried again",
    ),
    (
        "help_drop",
        "scarta definitivamente un elemento non consegnato",
        "discard a dead letter for good",
    ),
    (
        "help_audit",
        "gli ultimi n comandi eseguiti (10 se non indicato): chi, quando, cosa, esito",
        "the last n commands run (default 10): who, when, what, result",
    ),
];
