//! The art. 30(1) register entry for the processing: the controller and DPO, purposes, data
//! subjects and data, recipients, transfers, time limits and security measures, as this
//! install is configured. Italian, then English.

use super::Facts;
use crate::config::Config;

/// The register entry draft, Italian then English.
pub fn processing_record(c: &Config) -> String {
    let f = Facts::of(c);
    format!("{}\n\n---\n\n{}", italian(&f), english(&f))
}

fn italian(f: &Facts) -> String {
    let erase = if f.inactive_days > 0 {
        format!(
            "dopo {} giorni senza messaggi, se il cittadino non è iscritto a liste; su richiesta (risposta entro {} giorni)",
            f.inactive_days, f.request_days
        )
    } else {
        format!(
            "su richiesta (risposta entro {} giorni); nessuna cancellazione automatica configurata",
            f.request_days
        )
    };
    let ledger = if f.ledger_days > 0 {
        format!(
            "{} giorni dopo la fine dell'ultima iscrizione",
            f.ledger_days
        )
    } else {
        "finché il servizio è attivo".into()
    };
    [
        format!("REGISTRO DELLE ATTIVITÀ DI TRATTAMENTO (art. 30.1 GDPR) — Servizio informazioni via WhatsApp, {}", f.office),
        format!("Titolare: {} — contatti: {}", f.controller(true), f.gap(&f.controller_contact, true)),
        format!("Responsabile della protezione dei dati: {}", f.gap(&f.dpo, true)),
        "Finalità: risposte ai cittadini sui servizi comunali (art. 6.1.e); invio di notizie alle liste scelte (art. 6.1.a, consenso registrato); rispetto del codice di condotta del servizio.".into(),
        "Interessati: cittadini che scrivono al numero WhatsApp dell'ufficio; iscritti alle liste di notizie.".into(),
        format!("Categorie di dati: numero di telefono, nome del profilo WhatsApp, contenuto dei messaggi e allegati, stati di consegna e lettura, iscrizioni e registro dei consensi, richieste di cancellazione, blocchi{}.", if f.contact_names { ", nomi dalla rubrica del telefono dell'ufficio" } else { "" }),
        "Destinatari: addetti dell'ufficio (URP) autorizzati; Meta Platforms Ireland Ltd, responsabile del trattamento (WhatsApp Business Platform, Cloud API).".into(),
        "Trasferimenti verso paesi terzi: possibili da parte di Meta, alle condizioni dei termini WhatsApp Business (clausole contrattuali tipo / Data Privacy Framework).".into(),
        format!("Termini di cancellazione: {erase}; registro dei consensi: {ledger}; segni contro i duplicati {} giorni; stati di consegna {} giorni; collegamenti tra messaggi {} giorni; consegne non riuscite {} giorni; statistiche anonime {} giorni. Alla cancellazione resta solo un'impronta cifrata del numero con data, autore e motivo.", f.marks, f.statuses, f.links, f.dead, f.figures),
        format!("Conversazioni su Matrix: {}.", if f.keep_room { "conservate come documento dell'ufficio, scollegate dal numero, alla cancellazione" } else { "oscurate alla cancellazione (i file restano finché l'amministratore del server non li elimina)" }),
        format!("Misure di sicurezza: server dell'ufficio ({}); webhook di Meta verificati con firma HMAC; token separati tra bridge e server Matrix; identificativi Matrix dei cittadini cifrati con chiave; numeri e identificativi dei messaggi mascherati nei log; accesso limitato agli addetti elencati e agli amministratori; registro dei comandi; copie di sicurezza dell'archivio (sportello backup).", f.gap(&f.hosting, true)),
    ]
    .join("\n")
}

fn english(f: &Facts) -> String {
    let erase = if f.inactive_days > 0 {
        format!(
            "after {} days without messages, if the citizen is on no list; on request (answered within {} days)",
            f.inactive_days, f.request_days
        )
    } else {
        format!(
            "on request (answered within {} days); no automatic erasure configured",
            f.request_days
        )
    };
    let ledger = if f.ledger_days > 0 {
        format!("{} days after the last subscription ends", f.ledger_days)
    } else {
        "while the service runs".into()
    };
    [
        format!("RECORD OF PROCESSING ACTIVITIES (art. 30(1) GDPR) — WhatsApp information service, {}", f.office),
        format!("Controller: {} — contact: {}", f.controller(false), f.gap(&f.controller_contact, false)),
        format!("Data protection officer: {}", f.gap(&f.dpo, false)),
        "Purposes: answering citizens about the municipality's services (art. 6(1)(e)); sending news to the lists chosen (art. 6(1)(a), consent recorded); enforcing the service's code of conduct.".into(),
        "Data subjects: citizens who write to the office's WhatsApp number; subscribers to the news lists.".into(),
        format!("Categories of data: phone number, WhatsApp profile name, message contents and attachments, delivery and read statuses, subscriptions and the consent ledger, erasure requests, blocks{}.", if f.contact_names { ", names from the office phone's contacts" } else { "" }),
        "Recipients: the office's authorised staff (URP); Meta Platforms Ireland Ltd, processor (WhatsApp Business Platform, Cloud API).".into(),
        "Transfers to third countries: possible by Meta, under the WhatsApp Business terms (standard contractual clauses / Data Privacy Framework).".into(),
        format!("Time limits for erasure: {erase}; consent ledger: {ledger}; duplicate marks {} days; delivery statuses {} days; message links {} days; failed deliveries {} days; anonymous figures {} days. On erasure only a keyed hash of the number with the date, who and why stays.", f.marks, f.statuses, f.links, f.dead, f.figures),
        format!("Conversations in Matrix: {}.", if f.keep_room { "kept as the office's record, unlinked from the number, on erasure" } else { "redacted on erasure (files stay until the server's administrator deletes them)" }),
        format!("Security measures: the office's own server ({}); Meta's webhooks checked by HMAC signature; separate tokens between the bridge and the Matrix server; citizens' Matrix ids keyed hashes; numbers and message ids masked in logs; access limited to the listed staff and admins; command log; backups of the store (sportello backup).", f.gap(&f.hosting, false)),
    ]
    .join("\n")
}
