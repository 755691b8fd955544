//! The art. 13 notice: what citizens who write to the office's WhatsApp number are told about
//! the processing of their data — who, what, why, who else, where, for how long, and how to
//! subscribe, unsubscribe, see and erase it. Italian, then English.

use super::Facts;
use crate::config::Config;

/// The notice draft, Italian then English.
pub fn privacy_notice(c: &Config) -> String {
    let f = Facts::of(c);
    format!("{}\n\n---\n\n{}", italian(&f), english(&f))
}

fn lists(f: &Facts) -> String {
    f.lists
        .iter()
        .map(|(n, d)| format!("  - {n}: {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn italian(f: &Facts) -> String {
    let mut t = vec![
        format!("INFORMATIVA SUL TRATTAMENTO DEI DATI PERSONALI — servizio WhatsApp di {} (art. 13 del Regolamento UE 2016/679)", f.office),
        String::new(),
        format!("Titolare del trattamento: {} ({}).", f.controller(true), f.gap(&f.controller_contact, true)),
        format!("Responsabile della protezione dei dati (RPD/DPO): {}.", f.gap(&f.dpo, true)),
        String::new(),
        "Quali dati trattiamo: il tuo numero di telefono e il nome del tuo profilo WhatsApp; i messaggi che scrivi all'ufficio e ciò che alleghi (foto, documenti, audio, posizioni, contatti); le risposte dell'ufficio e il loro stato di consegna e lettura; le liste di notizie a cui ti iscrivi, con il registro dei consensi; le tue richieste sui tuoi dati.".into(),
    ];
    if f.coexistence {
        t.push("Il numero dell'ufficio è usato anche con l'app WhatsApp Business: i messaggi scambiati dal telefono dell'ufficio, e la cronologia condivisa al collegamento, fanno parte della stessa conversazione.".into());
    }
    if f.contact_names {
        t.push("Se il tuo numero è nella rubrica del telefono dell'ufficio, il nome lì salvato può essere usato per la tua conversazione finché non hai un nome di profilo WhatsApp.".into());
    }
    t.extend([
        String::new(),
        "Perché: per rispondere alle tue domande sui servizi del Comune (esecuzione di un compito di interesse pubblico, art. 6.1.e); per inviarti le notizie delle liste che scegli (consenso, art. 6.1.a, che puoi revocare in ogni momento); per far rispettare il codice di condotta del servizio.".into(),
        "Segnalazioni e reclami non si ricevono su WhatsApp".to_owned() + &if f.complaints_url.is_empty() { ".".to_owned() } else { format!(": usa {}.", f.complaints_url) },
        String::new(),
        "Chi altro li tratta: Meta Platforms Ireland Ltd, che fornisce WhatsApp Business Platform, come responsabile del trattamento per conto dell'ufficio; Meta può trasferire dati fuori dall'Unione europea alle condizioni dei suoi termini per WhatsApp Business. Leggono la conversazione solo gli addetti dell'ufficio.".into(),
        format!("Dove: i messaggi sono conservati sul server Matrix dell'ufficio e nell'archivio del servizio ({}).", f.gap(&f.hosting, true)),
        String::new(),
        "Per quanto tempo:".into(),
        if f.inactive_days > 0 {
            format!("  - i tuoi dati sono cancellati dopo {} giorni senza messaggi, se non sei iscritto a nessuna lista;", f.inactive_days)
        } else {
            "  - i tuoi dati restano finché non ne chiedi la cancellazione (non c'è una cancellazione automatica);".into()
        },
        if f.ledger_days > 0 {
            format!("  - il registro dei tuoi consensi è cancellato {} giorni dopo che hai lasciato l'ultima lista;", f.ledger_days)
        } else {
            "  - il registro dei tuoi consensi è conservato finché il servizio è attivo, come prova del consenso;".into()
        },
        if f.keep_room {
            "  - dopo la cancellazione, la conversazione resta nell'archivio dell'ufficio come documento, non più collegata al tuo numero;".into()
        } else {
            "  - alla cancellazione, i tuoi messaggi e i tuoi allegati sono oscurati anche nell'archivio dell'ufficio;".into()
        },
        format!("  - dati tecnici: segni contro i duplicati {} giorni, stati di consegna {} giorni, collegamenti tra messaggi {} giorni, consegne non riuscite {} giorni; le statistiche del servizio sono anonime ({} giorni).", f.marks, f.statuses, f.links, f.dead, f.figures),
        "Resta solo una registrazione cifrata della cancellazione (un'impronta del numero, la data e il motivo), perché i vecchi messaggi non tornino.".into(),
        String::new(),
        "Liste di notizie:".into(),
        lists(f),
        format!("Per iscriverti scrivi {} seguito dal nome della lista; per l'elenco {}; per uscire {} (da tutte, o dalle liste che nomini).", f.subscribe, f.menu, f.unsubscribe),
        String::new(),
        format!("I tuoi diritti: puoi chiedere all'ufficio di vedere i tuoi dati, di correggerli o di cancellarli, e opporti al trattamento. Per la cancellazione basta scrivere {} su WhatsApp: riceverai conferma e una risposta entro {} giorni. Puoi anche proporre reclamo al Garante per la protezione dei dati personali (www.garanteprivacy.it).", f.erase_words(true), f.request_days),
        "Sul tuo telefono e presso Meta restano le copie di WhatsApp: l'ufficio non può cancellarle.".into(),
    ]);
    t.join("\n")
}

fn english(f: &Facts) -> String {
    let mut t = vec![
        format!("PRIVACY NOTICE — {}'s WhatsApp service (art. 13 of Regulation (EU) 2016/679)", f.office),
        String::new(),
        format!("Controller: {} ({}).", f.controller(false), f.gap(&f.controller_contact, false)),
        format!("Data protection officer: {}.", f.gap(&f.dpo, false)),
        String::new(),
        "What we process: your phone number and WhatsApp profile name; the messages you write to the office and what you attach (photos, documents, audio, locations, contacts); the office's answers and their delivery and read status; the news lists you join, with the consent ledger; your requests about your data.".into(),
    ];
    if f.coexistence {
        t.push("The office's number is also used with the WhatsApp Business app: messages exchanged from the office's phone, and the history shared when it was connected, are part of the same conversation.".into());
    }
    if f.contact_names {
        t.push("If your number is in the office phone's contacts, the name saved there may name your conversation until you have a WhatsApp profile name.".into());
    }
    t.extend([
        String::new(),
        "Why: to answer your questions about the municipality's services (a task in the public interest, art. 6(1)(e)); to send you the news of the lists you choose (consent, art. 6(1)(a), which you can withdraw at any time); to enforce the service's code of conduct.".into(),
        "Reports and complaints are not taken on WhatsApp".to_owned() + &if f.complaints_url.is_empty() { ".".to_owned() } else { format!(": use {}.", f.complaints_url) },
        String::new(),
        "Who else processes it: Meta Platforms Ireland Ltd, which provides the WhatsApp Business Platform, as processor for the office; Meta may transfer data outside the European Union under its WhatsApp Business terms. Only the office's staff read the conversation.".into(),
        format!("Where: messages are kept on the office's Matrix server and in the service's store ({}).", f.gap(&f.hosting, false)),
        String::new(),
        "For how long:".into(),
        if f.inactive_days > 0 {
            format!("  - your data is erased after {} days without messages, if you are on no list;", f.inactive_days)
        } else {
            "  - your data is kept until you ask for it to be erased (there is no automatic erasure);".into()
        },
        if f.ledger_days > 0 {
            format!("  - your consent ledger is deleted {} days after you leave your last list;", f.ledger_days)
        } else {
            "  - your consent ledger is kept while the service runs, as proof of consent;".into()
        },
        if f.keep_room {
            "  - after erasure, the conversation stays in the office's records as a document, no longer linked to your number;".into()
        } else {
            "  - on erasure, your messages and attachments are redacted in the office's records too;".into()
        },
        format!("  - technical data: duplicate marks {} days, delivery statuses {} days, message links {} days, failed deliveries {} days; the service's figures are anonymous ({} days).", f.marks, f.statuses, f.links, f.dead, f.figures),
        "Only a keyed record of the erasure stays (a hash of the number, the date and the reason), so that old messages do not come back.".into(),
        String::new(),
        "News lists:".into(),
        lists(f),
        format!("To subscribe write {} followed by the list's name; for the list of lists {}; to leave {} (all lists, or those you name).", f.subscribe, f.menu, f.unsubscribe),
        String::new(),
        format!("Your rights: you can ask the office to see your data, to correct or erase it, and object to the processing. For erasure just write {} on WhatsApp: you get a confirmation and an answer within {} days. You can also complain to the Italian data protection authority, the Garante per la protezione dei dati personali (www.garanteprivacy.it).", f.erase_words(false), f.request_days),
        "WhatsApp's copies on your phone and at Meta stay: the office cannot delete them.".into(),
    ]);
    t.join("\n")
}
