//! Texts of the news service: what citizens get when they write a keyword or pick from the
//! list, the notices staff see about it, and the admin-room replies about subscribers and
//! broadcasts. Same rules as the main catalog.

pub(super) const NEWS: &[(&str, &str, &str)] = &[
    // To citizens.
    ("all_topics", "tutte le liste", "all lists"),
    (
        "sub_confirm",
        "Iscrizione confermata: riceverai le notizie di {topics}. Puoi cancellarti quando vuoi scrivendo CANCELLAMI (o CANCELLAMI e il nome della lista); per vedere le liste scrivi MENU.",
        "You are subscribed to {topics}. Unsubscribe at any time by writing UNSUBSCRIBE (or UNSUBSCRIBE and the list's name); write MENU to see the lists.",
    ),
    (
        "sub_already",
        "Sei già iscritto a {topics}. Scrivi MENU per vedere tutte le liste.",
        "You are already subscribed to {topics}. Write MENU to see all the lists.",
    ),
    (
        "unsub_confirm",
        "Fatto: non riceverai più le notizie di {topics}.{remaining} Per iscriverti di nuovo scrivi ISCRIVIMI.",
        "Done: you will no longer get the news of {topics}.{remaining} To subscribe again, write SUBSCRIBE.",
    ),
    (
        "unsub_remaining",
        " Resti iscritto a {topics}.",
        " You are still subscribed to {topics}.",
    ),
    (
        "unsub_none",
        "Non risulti iscritto a {topics}. Scrivi MENU per vedere le liste di notizie.",
        "You are not subscribed to {topics}. Write MENU to see the news lists.",
    ),
    (
        "sub_unknown",
        "Non conosco la lista «{words}». Le liste sono: {topics}. Scrivi per esempio ISCRIVIMI {example}, oppure MENU.",
        "There is no list called \"{words}\". The lists are: {topics}. Write for example SUBSCRIBE {example}, or MENU.",
    ),
    (
        "privacy_msg",
        "Informativa sulla privacy (versione {version}): {text}",
        "Privacy policy (version {version}): {text}",
    ),
    (
        "conduct_msg",
        "Codice di condotta del servizio (versione {version}): {text}",
        "Code of conduct of this service (version {version}): {text}",
    ),
    (
        "menu_body",
        "Le liste di notizie di {office}.{current} Scegli una lista per iscriverti; puoi cancellarti quando vuoi scrivendo CANCELLAMI.",
        "The news lists of {office}.{current} Pick a list to subscribe; you can unsubscribe at any time by writing UNSUBSCRIBE.",
    ),
    (
        "menu_current",
        " Ora sei iscritto a: {topics}.",
        " You are now subscribed to: {topics}.",
    ),
    ("menu_button", "Liste", "Lists"),
    ("menu_section_topics", "Notizie", "News"),
    ("menu_section_other", "Altro", "More"),
    ("menu_all", "Tutte le liste", "All lists"),
    (
        "menu_all_desc",
        "Ricevi tutte le notizie dell'ufficio",
        "Get all of the office's news",
    ),
    ("menu_unsub", "Cancellami da tutto", "Unsubscribe from all"),
    (
        "menu_unsub_desc",
        "Non ricevere più nessuna notizia",
        "Stop receiving any news",
    ),
    // To staff, in the citizen's room.
    (
        "kw_notice",
        "🤖 Risposta automatica alla richiesta del cittadino ({channel}): {reply}",
        "🤖 Automatic answer to the citizen's request ({channel}): {reply}",
    ),
    (
        "kw_notice_policies",
        "Inviati anche: informativa privacy ({privacy}) e codice di condotta ({conduct}).",
        "Also sent: privacy policy ({privacy}) and code of conduct ({conduct}).",
    ),
    (
        "kw_menu",
        "il menu delle liste di notizie",
        "the menu of news lists",
    ),
    (
        "kw_not_sent",
        "Non inviato al cittadino: {reason}",
        "Not sent to the citizen: {reason}",
    ),
    (
        "pref_stop",
        "Il cittadino ha disattivato i messaggi promozionali nelle impostazioni di WhatsApp: non riceverà le notizie finché non li riattiva (registrato nel registro dei consensi).",
        "The citizen turned off promotional messages in WhatsApp's settings: they get no news until they turn them back on (recorded in the consent ledger).",
    ),
    (
        "pref_resume",
        "Il cittadino ha riattivato i messaggi promozionali nelle impostazioni di WhatsApp: riceve di nuovo le notizie a cui è iscritto.",
        "The citizen turned promotional messages back on in WhatsApp's settings: they get the news they subscribed to again.",
    ),
    // Admin room: subscribers, consent, broadcasts.
    (
        "subs_counts",
        "Iscritti per lista:\n{list}\nIscritti ad almeno una lista: {total} (di cui con i messaggi promozionali disattivati: {stopped}).",
        "Subscribers per list:\n{list}\nSubscribed to at least one list: {total} (of whom with promotional messages turned off: {stopped}).",
    ),
    (
        "topic_unknown",
        "La lista «{topic}» non esiste. Le liste sono: {topics} (oppure all).",
        "There is no list \"{topic}\". The lists are: {topics} (or all).",
    ),
    (
        "consent_none",
        "Nessuna voce nel registro dei consensi per {who}.",
        "No consent ledger entries for {who}.",
    ),
    (
        "consent_list",
        "Registro dei consensi di {who}:\n{list}",
        "Consent ledger of {who}:\n{list}",
    ),
    (
        "staff_sub_note",
        "Aggiungi una nota che dica come l'ha chiesto il cittadino, per esempio: !{name} {target} eventi al telefono il 3 dicembre",
        "Add a note saying how the citizen asked, for example: !{name} {target} eventi by phone on 3 December",
    ),
    (
        "staff_sub_done",
        "Registrato per {who} (nota: {note}). {reply}",
        "Recorded for {who} (note: {note}). {reply}",
    ),
    (
        "bc_draft",
        "Bozza #{id} — lista: {topic}\nDestinatari ora: {audience} ({inside} nella finestra di 24 ore: messaggio libero; {outside} fuori: {outside_how}). Esclusi ora: {excluded}.\nTempo stimato: {eta} a {rate} messaggi al secondo.\n{cost}\nTesto:\n{text}\n\nPer inviare: !approve {id} · per annullare: !cancel {id}{second}",
        "Draft #{id} — list: {topic}\nRecipients now: {audience} ({inside} inside the 24-hour window: free-form message; {outside} outside: {outside_how}). Excluded now: {excluded}.\nEstimated time: {eta} at {rate} messages per second.\n{cost}\nText:\n{text}\n\nTo send: !approve {id} · to discard: !cancel {id}{second}",
    ),
    (
        "bc_outside_template",
        "modello «{template}» con il testo come parametro",
        "template \"{template}\" with the text as its parameter",
    ),
    (
        "bc_outside_blocked",
        "saltati: il modello non può essere usato ora (vedi sotto)",
        "skipped: the template cannot be used now (see below)",
    ),
    (
        "bc_outside_skip",
        "saltati, perché broadcast.template non è configurato",
        "skipped, because broadcast.template is not configured",
    ),
    (
        "bc_second_needed",
        " (deve approvarla un amministratore diverso da chi l'ha scritta)",
        " (an administrator other than its author must approve it)",
    ),
    (
        "bc_attachment",
        "Allegato: {file} ({kind}), con il testo come didascalia per chi è nella finestra di 24 ore; chi è fuori riceve il modello, con il solo testo.",
        "Attachment: {file} ({kind}), with the text as its caption for those inside the 24-hour window; those outside get the template, with the text only.",
    ),
    (
        "bc_attachment_template",
        "Allegato: {file} ({kind}), con il testo come didascalia per chi è nella finestra di 24 ore; chi è fuori riceve il modello {template} con l'allegato e il testo.",
        "Attachment: {file} ({kind}), with the text as its caption for those inside the 24-hour window; those outside get the template {template} with the attachment and the text.",
    ),
    (
        "bc_attachment_failed",
        "📢 Invio #{id}: l'allegato non si può caricare su WhatsApp ({reason}); parte il solo testo.",
        "📢 Broadcast #{id}: the attachment cannot be uploaded to WhatsApp ({reason}); sending the text only.",
    ),
    (
        "bc_not_found",
        "Non esiste un invio #{id}.",
        "There is no broadcast #{id}.",
    ),
    (
        "bc_not_draft",
        "L'invio #{id} è {state}: si approva solo una bozza.",
        "Broadcast #{id} is {state}: only a draft can be approved.",
    ),
    (
        "bc_second",
        "L'invio #{id} deve approvarlo un amministratore diverso da chi l'ha scritto ({by}).",
        "Broadcast #{id} must be approved by an administrator other than its author ({by}).",
    ),
    (
        "bc_started",
        "Invio #{id} approvato da {by}: parte ora, l'avanzamento è nel messaggio che segue.",
        "Broadcast #{id} approved by {by}: sending now, progress follows.",
    ),
    (
        "bc_cancelled",
        "Bozza #{id} annullata.",
        "Draft #{id} discarded.",
    ),
    (
        "bc_stopping",
        "Invio #{id}: interruzione richiesta; il resoconto dirà quanti l'hanno già ricevuto.",
        "Broadcast #{id}: stopping; the report will say how many already received it.",
    ),
    (
        "bc_already",
        "L'invio #{id} è già {state}.",
        "Broadcast #{id} is already {state}.",
    ),
    ("bc_none", "Nessun invio finora.", "No broadcasts yet."),
    ("bc_list", "Invii:\n{list}", "Broadcasts:\n{list}"),
    ("bc_state_draft", "una bozza", "a draft"),
    ("bc_state_sending", "in corso", "being sent"),
    ("bc_state_done", "completato", "done"),
    ("bc_state_cancelled", "annullato", "cancelled"),
    (
        "bc_state_unknown",
        "in uno stato sconosciuto (scritto da una versione più recente)",
        "in an unknown state (written by a newer version)",
    ),
    (
        "bc_progress",
        "📢 Invio #{id} ({topic}) {bar} {done}/{total} · non inviati {failed} · {rate} msg/s · mancano circa {left}",
        "📢 Broadcast #{id} ({topic}) {bar} {done}/{total} · failures {failed} · {rate} msg/s · about {left} left",
    ),
    (
        "bc_report",
        "📢 Resoconto dell'invio #{id} ({topic}, {state}): inviati {sent} di {total} ({free} nella finestra di 24 ore, {template} con modello) · consegnati {delivered} · letti {read} · non inviati o non consegnati: {failed} · esclusi: {skipped} · esito incerto (forse arrivati; `!broadcast resend-uncertain {id}` li rimanda): {unknown}",
        "📢 Report of broadcast #{id} ({topic}, {state}): sent {sent} of {total} ({free} inside the 24-hour window, {template} by template) · delivered {delivered} · read {read} · failed: {failed} · excluded: {skipped} · uncertain (may have arrived; `!broadcast resend-uncertain {id}` sends them again): {unknown}",
    ),
    (
        "bc_not_sent",
        "L'invio #{id} è {state}: non c'è nulla da rimandare.",
        "Broadcast #{id} is {state}: there is nothing to send again.",
    ),
    (
        "bc_no_uncertain",
        "L'invio #{id} non ha destinatari con esito incerto.",
        "Broadcast #{id} has no recipients with an uncertain outcome.",
    ),
    (
        "bc_resend_uncertain",
        "L'invio #{id} parte di nuovo per {count} destinatari con esito incerto (chi l'aveva già ricevuto lo riceverà due volte).",
        "Broadcast #{id} goes again to {count} recipients whose outcome was uncertain (any who had it already get it twice).",
    ),
    ("skip_blocked", "bloccati", "blocked"),
    ("skip_unsubscribed", "non più iscritti", "unsubscribed"),
    (
        "skip_marketing_stopped",
        "promozioni disattivate",
        "promotions turned off",
    ),
    (
        "skip_outside_window",
        "fuori finestra senza modello",
        "outside the window, no template",
    ),
    ("skip_no_number", "senza numero", "no number"),
    ("none", "nessuno", "none"),
    // Office hours (admin room).
    ("hours_closed", "chiuso", "closed"),
    (
        "hours_show",
        "Orari dell'ufficio ({tz}):\n{week}\n{extra}{now}",
        "Office hours ({tz}):\n{week}\n{extra}{now}",
    ),
    (
        "hours_local",
        "Festività locali: {list}.\n",
        "Local holidays: {list}.\n",
    ),
    (
        "hours_closures",
        "Chiusure in programma: {list}.\n",
        "Planned closures: {list}.\n",
    ),
    (
        "hours_open_now",
        "Ora è aperto, fino a {until}.",
        "Open now, until {until}.",
    ),
    (
        "hours_closed_now",
        "Ora è chiuso{why}; riapre {when}.",
        "Closed now{why}; opens {when}.",
    ),
    (
        "hours_emergency",
        "\n⚠️ Modalità emergenza attiva (da {by}, {at}): {text}",
        "\n⚠️ Emergency mode is on (by {by}, {at}): {text}",
    ),
    (
        "hours_emergency_on",
        "Modalità emergenza attivata: {text}",
        "Emergency mode on: {text}",
    ),
    (
        "hours_emergency_off",
        "Modalità emergenza disattivata: valgono di nuovo gli orari.",
        "Emergency mode off: the office hours apply again.",
    ),
    (
        "hours_emergency_text",
        "Scrivi anche il messaggio per i cittadini: !hours emergency on <testo>",
        "Add the message for citizens: !hours emergency on <text>",
    ),
    // Automatic replies to citizens.
    (
        "auto_welcome",
        "Benvenuto nel canale WhatsApp di {office}: qui rispondiamo a domande su eventi, viabilità, orari, bandi e scadenze. Orari: {hours}.{complaints} Per ricevere le notizie scrivi ISCRIVIMI (o MENU).{privacy}",
        "Welcome to the WhatsApp channel of {office}: we answer questions about events, traffic, opening hours, calls and deadlines. Hours: {hours}.{complaints} To get our news, write SUBSCRIBE (or MENU).{privacy}",
    ),
    (
        "auto_complaints",
        " Reclami e segnalazioni non si ricevono qui: usa {url}.",
        " Complaints and reports are not taken here: please use {url}.",
    ),
    (
        "auto_privacy",
        " Informativa privacy: {url}",
        " Privacy policy: {url}",
    ),
    (
        "auto_closed",
        "{office} ora è chiuso{why}: abbiamo ricevuto il tuo messaggio e ti risponderemo {when}.{numbers}",
        "{office} is closed now{why}: we have your message and will answer {when}.{numbers}",
    ),
    (
        "auto_numbers",
        " Per le emergenze: {numbers}.",
        " In an emergency: {numbers}.",
    ),
    ("auto_emergency", "⚠️ {text}", "⚠️ {text}"),
    (
        "auto_notice",
        "🤖 Risposta automatica al cittadino: {reply}",
        "🤖 Automatic reply sent to the citizen: {reply}",
    ),
    (
        "auto_complaint",
        "Reclami e segnalazioni non si ricevono su WhatsApp: puoi inviarli dall'apposito servizio, {url}. Grazie!",
        "Complaints and reports are not taken on WhatsApp: please send them through {url}. Thank you!",
    ),
    (
        "eurp_none",
        "Nessun indirizzo per i reclami: impostare autoreply.complaints_url.",
        "No complaints address: set autoreply.complaints_url.",
    ),
    (
        "replies_none",
        "Nessuna risposta configurata ([replies.<nome>]).",
        "No replies configured ([replies.<name>]).",
    ),
    (
        "replies_list",
        "Risposte pronte:\n{list}",
        "Ready replies:\n{list}",
    ),
    (
        "reply_unknown",
        "Nessuna risposta «{name}». Ci sono: {names}.",
        "No reply \"{name}\". There are: {names}.",
    ),
    (
        "canned_queued",
        "In invio al cittadino: {text}",
        "Sending to the citizen: {text}",
    ),
];
