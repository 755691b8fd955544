//! Every sentence the bridge writes into rooms, in Italian and English, chosen by
//! `office.language`; any of them can be replaced under `[texts]` in the config, by key.
//! Placeholders are `{name}`. Used by every layer that writes for people (like `config`).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

mod coexistence;
mod help;
mod helpdesk;
mod news;
mod privacy;
mod templates;
mod trouble;

/// (key, Italian, English). Keep the placeholders of a row identical in both languages.
const CATALOG: &[(&str, &str, &str)] = &[
    // Staff messages that do not go out.
    (
        "not_staff",
        "Non inviato a WhatsApp: {sender} non è nell'elenco del personale dell'ufficio, quindi i suoi messaggi restano in Matrix. Un amministratore può aggiungerlo a office.staff.",
        "Not sent to WhatsApp: {sender} is not on the office's staff list, so their messages stay in Matrix. An administrator can add them to office.staff.",
    ),
    (
        "deleted_here",
        "Un messaggio è stato eliminato qui, ma non su WhatsApp. {reason}",
        "A message was deleted here, but not on WhatsApp. {reason}",
    ),
    (
        "attachment_unreadable",
        "Non inviato: non è stato possibile leggere l'allegato dal server Matrix.",
        "Not sent: the attachment could not be read from the homeserver.",
    ),
    (
        "reaction_window_closed",
        "Non inviato: la finestra di 24 ore del cittadino è chiusa.",
        "Not sent: the citizen's 24-hour window is closed.",
    ),
    // Refusals (checked before sending).
    (
        "refusal_edit",
        "WhatsApp non permette di modificare un messaggio già inviato: il cittadino vede ancora l'originale. Invia la correzione come nuovo messaggio.",
        "WhatsApp cannot edit a message once it is sent; the citizen still sees the original. Send the correction as a new message.",
    ),
    (
        "refusal_delete",
        "WhatsApp non permette di cancellare per il cittadino un messaggio già inviato: resta sul suo telefono. Se serve, invia una correzione.",
        "WhatsApp cannot delete a message for the citizen once it is sent; it stays on their phone. Send a correction if needed.",
    ),
    (
        "refusal_poll",
        "WhatsApp non ha sondaggi per le aziende. Fai la domanda come testo, con le opzioni numerate.",
        "WhatsApp has no polls for businesses. Ask the question as text, with the options numbered.",
    ),
    (
        "refusal_unsupported",
        "I messaggi {kind} non possono essere inviati a WhatsApp; invia il contenuto come testo.",
        "{kind} messages cannot be sent to WhatsApp; send the content as text instead.",
    ),
    (
        "refusal_too_long",
        "Il messaggio è troppo lungo per WhatsApp ({n} caratteri; il limite è 4096). Dividilo in messaggi più brevi.",
        "The message is too long for WhatsApp ({n} characters; the limit is 4096). Split it into shorter messages.",
    ),
    (
        "refusal_caption_too_long",
        "La didascalia è troppo lunga per WhatsApp ({n} caratteri; il limite è 1024). Invia il testo come messaggio a parte.",
        "The caption is too long for WhatsApp ({n} characters; the limit is 1024). Send the text as a separate message.",
    ),
    (
        "refusal_too_large",
        "Il file ({kind}) è troppo grande per WhatsApp ({size} MB; il limite è {max} MB). Invia un file più piccolo, o un link.",
        "The {kind} is too large for WhatsApp ({size} MB; the limit is {max} MB). Send a smaller file, or a link to it.",
    ),
    (
        "refusal_format",
        "WhatsApp non accetta {mime} come {kind}. Formati accettati: {accepted}.",
        "WhatsApp does not take {mime} as {kind}. Accepted: {accepted}.",
    ),
    (
        "refusal_bad_location",
        "La posizione non ha coordinate valide.",
        "The location has no valid coordinates.",
    ),
    (
        "refusal_empty",
        "Il messaggio è vuoto.",
        "The message is empty.",
    ),
    // What WhatsApp answered.
    (
        "graph_refused",
        "WhatsApp l'ha rifiutato (errore {code}: {message}). {advice}",
        "WhatsApp refused it (error {code}: {message}). {advice}",
    ),
    (
        "graph_unreachable",
        "WhatsApp non era raggiungibile; il bridge ha riprovato più volte e ha rinunciato.",
        "WhatsApp could not be reached; the bridge kept retrying and gave up.",
    ),
    (
        "graph_timeout",
        "WhatsApp non ha risposto in tempo, quindi il messaggio potrebbe essere arrivato o no. Non è stato reinviato per evitare un doppione: verifica con il cittadino o invialo di nuovo.",
        "WhatsApp did not answer in time, so it may or may not have arrived. It was not sent again, to avoid a duplicate: check with the citizen, or send it again.",
    ),
    (
        "graph_unexpected",
        "WhatsApp ha dato una risposta inattesa (HTTP {status}).",
        "WhatsApp gave an unexpected answer (HTTP {status}).",
    ),
    (
        "failed_status",
        "WhatsApp non è riuscito a consegnarlo (errore {code}{title}). {advice}",
        "WhatsApp could not deliver it (error {code}{title}). {advice}",
    ),
    (
        "advice_131047",
        "Sono passate più di 24 ore dall'ultimo messaggio del cittadino: WhatsApp permette di rispondere solo con un modello approvato finché non scrive di nuovo.",
        "More than 24 hours have passed since the citizen last wrote: WhatsApp only lets the office answer with an approved template until they write again.",
    ),
    (
        "advice_131026",
        "Il messaggio non può essere consegnato a questo numero (non è su WhatsApp, ha un'app vecchia, o non ha accettato i termini di WhatsApp).",
        "The message cannot be delivered to this number (not on WhatsApp, an old app, or the citizen has not accepted WhatsApp's terms).",
    ),
    (
        "advice_marketing",
        "WhatsApp non consegna messaggi promozionali a questo cittadino.",
        "WhatsApp is not delivering marketing messages to this citizen.",
    ),
    (
        "advice_131053",
        "Non è stato possibile caricare l'allegato: controlla il formato.",
        "The attachment could not be uploaded: check its format.",
    ),
    (
        "advice_131056",
        "Troppi messaggi a questo cittadino in poco tempo; attendi un po'.",
        "Too many messages to this citizen in a short time; wait a little.",
    ),
    (
        "advice_busy",
        "WhatsApp era occupato o non disponibile e ha continuato a rifiutare.",
        "WhatsApp was busy or unavailable and kept refusing.",
    ),
    (
        "advice_token",
        "Il token di accesso WhatsApp del bridge non è più valido: chiedi all'amministratore di rinnovarlo.",
        "The bridge's WhatsApp access token is not valid any more: ask the administrator to renew it.",
    ),
    (
        "advice_restricted",
        "WhatsApp ha limitato l'account dell'ufficio: chiedi all'amministratore di controllare il Business Manager di Meta.",
        "WhatsApp has restricted the office's account: ask the administrator to check Meta's Business Manager.",
    ),
    (
        "advice_other",
        "Chiedi all'amministratore di controllare il log del bridge.",
        "Ask the administrator to check the bridge's log.",
    ),
    // The 24-hour window.
    (
        "held",
        "Non ancora inviato: sono passate più di 24 ore dall'ultimo messaggio del cittadino e WhatsApp ora accetta solo modelli approvati. Il messaggio è in attesa e partirà da solo appena il cittadino scrive di nuovo. Per raggiungerlo subito, invia un modello. {templates}",
        "Not sent yet: more than 24 hours have passed since the citizen last wrote, and WhatsApp then accepts only approved templates. This message is held and goes out by itself as soon as the citizen writes again. To reach them now, send a template. {templates}",
    ),
    (
        "templates_none",
        "Non ci sono modelli approvati da inviare (li crea l'ufficio in WhatsApp Manager; con whatsapp.business_account_id il bridge li legge da Meta, altrimenti vanno aggiunti come [templates.…] alla configurazione).",
        "There are no approved templates to send (the office creates them in WhatsApp Manager; with whatsapp.business_account_id the bridge reads them from Meta, otherwise they are added as [templates.…] to the config).",
    ),
    (
        "templates_list",
        "Modelli disponibili:\n{list}",
        "Available templates:\n{list}",
    ),
    (
        "template_unknown",
        "Non esiste il modello \"{name}\". {list}",
        "There is no template \"{name}\". {list}",
    ),
    (
        "template_params",
        "Il modello \"{name}\" vuole {want} parametri, ne hai dati {got} (metti tra virgolette un parametro con spazi). {description}",
        "The template \"{name}\" takes {want} parameter(s), {got} given (quote a parameter with spaces). {description}",
    ),
    (
        "released",
        "Il cittadino ha scritto di nuovo: invio ora {count} messaggi in attesa.",
        "The citizen wrote again: sending the {count} held message(s) now.",
    ),
    (
        "topic_open",
        "WhatsApp · {who} · finestra aperta fino alle {until}: le risposte arrivano subito al cittadino.",
        "WhatsApp · {who} · window open until {until}: answers go straight to the citizen.",
    ),
    (
        "topic_closed",
        "WhatsApp · {who} · finestra di 24 ore chiusa: fino a un nuovo messaggio del cittadino arrivano solo i modelli approvati (!template).",
        "WhatsApp · {who} · 24-hour window closed: only approved templates (!template) reach the citizen until they write again.",
    ),
    ("time_format", "%H:%M del %d/%m", "%H:%M on %d/%m"),
    (
        "space_topic",
        "Conversazioni WhatsApp di {office}",
        "WhatsApp conversations of {office}",
    ),
    (
        "portal_topic",
        "Conversazione WhatsApp con {who}: quello che lo staff scrive qui parte dal numero WhatsApp dell'ufficio.",
        "WhatsApp conversation with {who}: what staff write here is sent from the office's WhatsApp number.",
    ),
    // Commands.
    (
        "cmd_unknown",
        "\"{word}\" non è un comando. Scrivi help per l'elenco.",
        "\"{word}\" is not a command. Type help for the list.",
    ),
    (
        "cmd_wrong_place",
        "!{name} non si usa in questa stanza.",
        "!{name} cannot be used in this room.",
    ),
    (
        "cmd_refused",
        "Solo gli amministratori dell'ufficio possono usare !{name}.",
        "Only the office's administrators may use !{name}.",
    ),
    ("cmd_usage", "Uso: {usage}", "Usage: {usage}"),
    (
        "block_done",
        "Bloccato {who}: {reason}. Da ora nulla passa in nessuna direzione. Meta: {meta}",
        "Blocked {who}: {reason}. From now on nothing passes either way. Meta: {meta}",
    ),
    (
        "block_already",
        "{who} è già bloccato.",
        "{who} is already blocked.",
    ),
    (
        "meta_ok",
        "bloccato anche su WhatsApp.",
        "blocked on WhatsApp too.",
    ),
    (
        "meta_unblocked",
        "sbloccato anche su WhatsApp.",
        "unblocked on WhatsApp too.",
    ),
    (
        "meta_failed",
        "WhatsApp ha rifiutato ({detail}); il blocco vale comunque qui.",
        "WhatsApp refused ({detail}); the block applies here all the same.",
    ),
    (
        "meta_skipped",
        "non chiamato: Meta permette di bloccare solo chi ha scritto nelle ultime 24 ore; il blocco vale comunque qui.",
        "not called: Meta only allows blocking someone who wrote in the last 24 hours; the block applies here all the same.",
    ),
    (
        "unblock_done",
        "Sbloccato {who}. Meta: {meta}",
        "Unblocked {who}. Meta: {meta}",
    ),
    (
        "unblock_not_blocked",
        "{who} non è bloccato.",
        "{who} is not blocked.",
    ),
    (
        "blocked_none",
        "Nessun numero bloccato.",
        "No number is blocked.",
    ),
    (
        "blocked_list",
        "Numeri bloccati:\n{list}",
        "Blocked numbers:\n{list}",
    ),
    (
        "portal_blocked",
        "⛔ Cittadino bloccato da {by}: {reason}. I suoi messaggi non arrivano e nulla gli viene inviato.",
        "⛔ Citizen blocked by {by}: {reason}. Their messages are not bridged and nothing is sent to them.",
    ),
    (
        "portal_unblocked",
        "Blocco tolto da {by}.",
        "Block lifted by {by}.",
    ),
    (
        "blocked_refused",
        "Non inviato: questo cittadino è bloccato (!unblock per toglierlo).",
        "Not sent: this citizen is blocked (!unblock to lift it).",
    ),
    (
        "warn_none",
        "Nessun codice di condotta configurato ([policies] code_of_conduct).",
        "No code of conduct is configured ([policies] code_of_conduct).",
    ),
    (
        "warn_queued",
        "Codice di condotta (versione {version}) in invio a {who}.",
        "Code of conduct (version {version}) being sent to {who}.",
    ),
    (
        "warn_no_portal",
        "{who} non ha ancora scritto all'ufficio: nessuna conversazione a cui inviarlo.",
        "{who} has not written to the office yet: there is no conversation to send it to.",
    ),
    (
        "audit_none",
        "Nessun comando registrato.",
        "No command recorded yet.",
    ),
    (
        "audit_list",
        "Ultimi comandi:\n{list}",
        "Last commands:\n{list}",
    ),
    (
        "admin_room_name",
        "Sportello · amministrazione",
        "Sportello · administration",
    ),
    (
        "admin_room_topic",
        "Comandi per {office}: scrivi help.",
        "Commands for {office}: type help.",
    ),
    // What the citizen sent, shown from their ghost.
    (
        "media_unfetched",
        "Il cittadino ha inviato {what} che non è stato possibile scaricare da WhatsApp (potrebbe essere scaduto). Chiedigli di inviarlo di nuovo.",
        "The citizen sent {what} that could not be fetched from WhatsApp (it may have expired). Ask them to send it again.",
    ),
    (
        "media_too_large",
        "Il cittadino ha inviato {what} di {size}: non è mostrato qui perché questo server Matrix accetta file fino a {limit}. Chiedigli di inviarlo in un altro modo (per esempio per email) o più piccolo.",
        "The citizen sent {what} of {size}: it is not shown here because this homeserver accepts files up to {limit}. Ask them to send it another way (by email, say) or smaller.",
    ),
    (
        "media_caption",
        "Didascalia: {caption}",
        "Caption: {caption}",
    ),
    ("what_image", "una foto", "a photo"),
    ("what_video", "un video", "a video"),
    ("what_audio", "un messaggio audio", "an audio message"),
    ("what_sticker", "uno sticker", "a sticker"),
    ("what_document", "un documento", "a document"),
    ("location_fallback", "Posizione", "Location"),
    (
        "location_no_coords",
        "Il cittadino ha condiviso una posizione senza coordinate.",
        "The citizen shared a location without coordinates.",
    ),
    (
        "contacts_header",
        "Contatti condivisi:",
        "Shared contact(s):",
    ),
    ("chose", "↩️ Ha scelto: {title}", "↩️ Chose: {title}"),
    (
        "form_sent",
        "📝 Modulo inviato ({name}):\n{answers}",
        "📝 Form sent ({name}):\n{answers}",
    ),
    ("form_empty", "(nessuna risposta)", "(no answers)"),
    (
        "interactive_other",
        "↩️ Ha risposto a un messaggio interattivo ({kind})",
        "↩️ Answered an interactive message ({kind})",
    ),
    ("tapped", "↩️ Ha toccato: {text}", "↩️ Tapped: {text}"),
    (
        "order",
        "Il cittadino ha inviato un ordine ({items} articoli){text}. Gli ordini non sono gestiti qui.",
        "The citizen sent an order ({items} item(s)){text}. Orders are not handled here.",
    ),
    ("system", "WhatsApp: {body}", "WhatsApp: {body}"),
    (
        "number_changed",
        "📱 Il cittadino ha cambiato numero WhatsApp, ora {new}: risposte e notizie vanno al nuovo numero (iscrizioni e consensi restano validi).",
        "📱 The citizen changed their WhatsApp number, now {new}: replies and news go to the new number (subscriptions and consents carry over).",
    ),
    (
        "user_id_changed",
        "🪪 WhatsApp ha rinnovato l'identificativo del cittadino, ora {new}: la conversazione continua qui.",
        "🪪 WhatsApp renewed the citizen's user id, now {new}: the conversation continues here.",
    ),
    (
        "system_default",
        "l'account del cittadino è cambiato",
        "the citizen's account changed",
    ),
    (
        "unsupported_kind",
        "Il cittadino ha inviato un messaggio di tipo {what}, che WhatsApp non inoltra alle aziende{why}. Chiedigli di inviarlo come testo o foto.",
        "The citizen sent a {what} message, which WhatsApp does not pass on to businesses{why}. Ask them to send it as text or a photo.",
    ),
    ("forwarded", "↪ Inoltrato", "↪ Forwarded"),
    (
        "forwarded_many",
        "↪ Inoltrato molte volte",
        "↪ Forwarded many times",
    ),
    (
        "via_ad",
        "📣 Da una pubblicità: {headline}{url}",
        "📣 Via an ad: {headline}{url}",
    ),
    ("an_ad", "una pubblicità", "an ad"),
    (
        "reacted_elsewhere",
        "Il cittadino ha reagito con {emoji} a un messaggio che non è in questa stanza.",
        "The citizen reacted {emoji} to a message that is not in this room.",
    ),
];

/// Every row: the bridge's texts, then those about undelivered work, then the news service's.
fn rows() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    CATALOG
        .iter()
        .chain(trouble::TROUBLE)
        .chain(news::NEWS)
        .chain(help::HELP)
        .chain(templates::TEMPLATES)
        .chain(helpdesk::HELPDESK)
        .chain(coexistence::COEXISTENCE)
        .chain(privacy::PRIVACY)
}

/// The rows by key (every key is in one row: `tests.rs`), built once: a walk over every row for
/// each bridged message (the topic's line) cost about 1 % of the bridge's CPU.
fn index() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static INDEX: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| rows().map(|(k, it, en)| (*k, (*it, *en))).collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    It,
    En,
}

/// The texts of one office: a language and its overrides.
#[derive(Debug, Clone)]
pub struct Texts {
    lang: Lang,
    overrides: BTreeMap<String, String>,
}

impl Default for Texts {
    fn default() -> Self {
        Texts::new(Lang::En, BTreeMap::new())
    }
}

impl Texts {
    pub fn new(lang: Lang, overrides: BTreeMap<String, String>) -> Self {
        Texts { lang, overrides }
    }

    /// The office's language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Is `key` a known text? (Config validation of overrides.)
    pub fn known(key: &str) -> bool {
        index().contains_key(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn get(&self, key: &str, args: &[(&str, &str)]) -> String {
        let template = self
            .overrides
            .get(key)
            .map(String::as_str)
            .unwrap_or_else(|| {
                let row = index().get(key);
                match (row, self.lang) {
                    (Some((it, _)), Lang::It) => it,
                    (Some((_, en)), Lang::En) => en,
                    (None, _) => key,
                }
            });
        let mut out = template.to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

#[cfg(test)]
mod tests;
