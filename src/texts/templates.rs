//! Texts about WhatsApp templates: choosing one for `!template` or a broadcast, `!templates`
//! and its sync, and the notices of Meta's template webhooks. Same rules as the main catalog.

pub(super) const TEMPLATES: &[(&str, &str, &str)] = &[
    // `!template` and broadcasts: a template that cannot go out now.
    (
        "template_media",
        "Il modello \"{name}\" ha un'intestazione con un allegato ({kind}): con !template non si può allegare. Si usa nelle diffusioni con un allegato.",
        "The template \"{name}\" has a header with an attachment ({kind}): !template cannot attach one. It is used by broadcasts with an attachment.",
    ),
    (
        "template_url_params",
        "Il modello \"{name}\" ha un pulsante con un indirizzo da completare: !template non lo sa riempire. Scegline un altro.",
        "The template \"{name}\" has a button whose address needs a parameter: !template cannot fill it. Choose another.",
    ),
    (
        "tpl_unusable_status",
        "Il modello \"{name}\" ora non è approvato da Meta ({status}): WhatsApp non lo consegnerebbe.",
        "The template \"{name}\" is not approved by Meta now ({status}): WhatsApp would not deliver it.",
    ),
    (
        "tpl_unusable_red",
        "Il modello \"{name}\" ha qualità rossa per Meta: inviarlo a molti rischia che venga sospeso. Aspetta che migliori o usane un altro.",
        "The template \"{name}\" has red quality at Meta: sending it to many risks its pause. Wait for it to improve, or use another.",
    ),
    (
        "tpl_unusable_missing",
        "Il modello \"{name}\" ({language}) non è tra i modelli del conto WhatsApp letti da Meta.",
        "The template \"{name}\" ({language}) is not among the WhatsApp account's templates read from Meta.",
    ),
    // `!templates`.
    (
        "tpl_from_config",
        "Modelli dalla configurazione ([templates.…]; senza whatsapp.business_account_id non vengono letti da Meta):",
        "Templates from the config ([templates.…]; without whatsapp.business_account_id they are not read from Meta):",
    ),
    (
        "tpl_synced",
        "Modelli letti da Meta il {when}:",
        "Templates read from Meta on {when}:",
    ),
    (
        "tpl_never_synced",
        "I modelli non sono ancora stati letti da Meta (prova !templates sync):",
        "The templates have not been read from Meta yet (try !templates sync):",
    ),
    (
        "tpl_sync_failed",
        "⚠️ L'ultima lettura dei modelli da Meta non è riuscita ({error}); quelli mostrati sono della lettura del {when}:",
        "⚠️ The last reading of the templates from Meta failed ({error}); those shown are from the reading of {when}:",
    ),
    (
        "tpl_not_usable",
        "Non inviabili ora: {list}",
        "Not sendable now: {list}",
    ),
    (
        "tpl_sync_done",
        "Modelli letti da Meta: {count}. Nuovi: {added}. Tolti: {removed}. Cambiati: {changed}.",
        "Templates read from Meta: {count}. New: {added}. Removed: {removed}. Changed: {changed}.",
    ),
    (
        "tpl_no_account",
        "Per leggere i modelli da Meta serve whatsapp.business_account_id nella configurazione (WhatsApp Manager → Impostazioni dell'account).",
        "Reading the templates from Meta needs whatsapp.business_account_id in the config (WhatsApp Manager → Account settings).",
    ),
    (
        "tpl_sync_error",
        "Meta non ha dato i modelli: {error}. Restano quelli letti prima.",
        "Meta did not give the templates: {error}. Those read before are kept.",
    ),
    // Meta's template webhooks, told in the admin room.
    (
        "tpl_status",
        "📋 Modello WhatsApp \"{name}\" ({language}): {status}.",
        "📋 WhatsApp template \"{name}\" ({language}): {status}.",
    ),
    ("tpl_approved", "approvato da Meta", "approved by Meta"),
    (
        "tpl_pending",
        "in revisione da Meta",
        "under review by Meta",
    ),
    ("tpl_rejected", "rifiutato da Meta", "rejected by Meta"),
    (
        "tpl_paused",
        "sospeso da Meta per i riscontri negativi dei destinatari",
        "paused by Meta after negative feedback from recipients",
    ),
    ("tpl_disabled", "disattivato da Meta", "disabled by Meta"),
    (
        "tpl_flagged",
        "segnalato da Meta: sarà disattivato se la qualità non migliora",
        "flagged by Meta: it will be disabled unless its quality improves",
    ),
    ("tpl_deleted", "eliminato", "deleted"),
    (
        "tpl_other",
        "Meta lo indica come {event}",
        "Meta marks it {event}",
    ),
    ("tpl_reason", "Motivo: {reason}.", "Reason: {reason}."),
    (
        "tpl_detail",
        "Meta aggiunge: {detail}",
        "Meta adds: {detail}",
    ),
    (
        "tpl_blocked",
        "Finché non è di nuovo approvato, !template non lo invia e una diffusione che lo usa non può essere approvata.",
        "Until it is approved again, !template does not send it and a broadcast using it cannot be approved.",
    ),
    (
        "tpl_quality",
        "📋 Qualità del modello \"{name}\" ({language}) secondo Meta: da {previous} a {new}.",
        "📋 Quality of the template \"{name}\" ({language}) according to Meta: from {previous} to {new}.",
    ),
    (
        "tpl_quality_red",
        "Con qualità rossa le diffusioni non lo usano: rischierebbe la sospensione.",
        "With red quality broadcasts do not use it: it would risk a pause.",
    ),
    (
        "tpl_category_soon",
        "📋 Meta cambierà la categoria del modello \"{name}\" ({language}) da {new} a {correct} il {when}: da allora è tariffato come {correct}.",
        "📋 Meta will change the category of the template \"{name}\" ({language}) from {new} to {correct} on {when}: from then on it is priced as {correct}.",
    ),
    (
        "tpl_category_done",
        "📋 La categoria del modello \"{name}\" ({language}) ora è {new} (era {previous}): cambia la tariffa.",
        "📋 The category of the template \"{name}\" ({language}) is now {new} (it was {previous}): its price changes.",
    ),
    // Broadcasts and their template.
    (
        "bc_template_unknown",
        "Il modello \"{name}\" della configurazione delle diffusioni non esiste.",
        "The broadcast config's template \"{name}\" does not exist.",
    ),
    (
        "bc_template_want_media",
        "un'intestazione con {kind} e un parametro nel testo",
        "a {kind} header and one parameter in its body",
    ),
    (
        "bc_template_want_text",
        "un solo parametro nel testo, senza intestazione multimediale",
        "exactly one parameter in its body, and no media header",
    ),
    (
        "bc_template_misfit",
        "Il modello \"{name}\" non può portare la notizia: ne servirebbe uno con {want}, mentre si usa come {usage}.",
        "The template \"{name}\" cannot carry the news: one with {want} is needed, and this one is used as {usage}.",
    ),
    (
        "bc_template_problem",
        "⚠️ {reason} Chi è fuori dalla finestra di 24 ore non la riceverebbe: così non può essere approvata.",
        "⚠️ {reason} Those outside the 24-hour window would not get it: it cannot be approved like this.",
    ),
    // What a broadcast costs.
    (
        "bc_cost",
        "Costo stimato: {cost} (a pagamento: {billable}; gratuiti: {free}, nella finestra di 24 ore o da una pubblicità).",
        "Estimated cost: {cost} (charged: {billable}; free: {free}, inside the 24-hour window or from an ad).",
    ),
    ("bc_cost_category", "{n} {category}", "{n} {category}"),
    (
        "bc_cost_unpriced",
        "{n} senza tariffa in [pricing] per il loro paese o categoria: non contati.",
        "{n} without a rate in [pricing] for their country or category: not counted.",
    ),
    (
        "bc_cost_none",
        "Costo: non stimato (mancano le tariffe di Meta nella sezione [pricing] della configurazione).",
        "Cost: not estimated (Meta's rates are missing from the config's [pricing] section).",
    ),
    (
        "bc_billed",
        "💶 Secondo Meta (messaggi consegnati): a pagamento {charged} · gratuiti {free}.",
        "💶 According to Meta (delivered messages): charged {charged} · free {free}.",
    ),
    ("bc_billed_cost", "Costo: {cost}.", "Cost: {cost}."),
    (
        "bc_template_blocked",
        "La diffusione #{id} non parte: {reason} Resta una bozza; approvala di nuovo quando il modello è approvato, o annullala.",
        "Broadcast #{id} does not start: {reason} It stays a draft; approve it again once the template is approved, or cancel it.",
    ),
];
