//! Texts of coexistence with the WhatsApp Business app: what the office sent, edited or
//! deleted from the phone, the imported history and its refusal. Same rules as the main
//! catalog.

pub(super) const COEXISTENCE: &[(&str, &str, &str)] = &[
    (
        "echo_label",
        "📱 Dall'app WhatsApp Business:",
        "📱 From the WhatsApp Business app:",
    ),
    (
        "echo_edit_unknown",
        "✏️ Dall'app WhatsApp Business è stato modificato un messaggio che il bridge non conosce; ora dice: {text}",
        "✏️ A message the bridge does not know was edited in the WhatsApp Business app; it now says: {text}",
    ),
    (
        "echo_revoked",
        "Cancellato dall'app WhatsApp Business",
        "Deleted in the WhatsApp Business app",
    ),
    (
        "echo_revoke_unknown",
        "🗑️ Dall'app WhatsApp Business è stato cancellato un messaggio che il bridge non conosce.",
        "🗑️ A message the bridge does not know was deleted in the WhatsApp Business app.",
    ),
    (
        "citizen_edit_unknown",
        "✏️ (modificato) {text}",
        "✏️ (edited) {text}",
    ),
    (
        "citizen_revoke_unknown",
        "🗑️ Il cittadino ha cancellato un messaggio che il bridge non conosce.",
        "🗑️ The citizen deleted a message the bridge does not know.",
    ),
    (
        "history_intro",
        "📥 Cronologia importata dall'app WhatsApp Business (messaggi: {count}, dal {from} al {to}), con la data originale di ciascuno. Non è stato inviato nulla al cittadino.",
        "📥 History imported from the WhatsApp Business app (messages: {count}, from {from} to {to}), each with its original time. Nothing was sent to the citizen.",
    ),
    (
        "history_placeholder",
        "📎 Un allegato: arriverà quando WhatsApp lo invia.",
        "📎 An attachment: it follows when WhatsApp sends it.",
    ),
    (
        "history_done",
        "📥 Cronologia dall'app WhatsApp Business importata (messaggi: {count}, conversazioni: {conversations}, dal {from} al {to}).",
        "📥 History from the WhatsApp Business app imported (messages: {count}, conversations: {conversations}, from {from} to {to}).",
    ),
    (
        "history_unfinished",
        "⚠️ La condivisione della cronologia dall'app WhatsApp Business non si è conclusa: l'ultima parte è arrivata {hours} ore fa. Importo ciò che è arrivato.",
        "⚠️ The history sharing from the WhatsApp Business app did not finish: its last part came {hours} hours ago. Importing what came.",
    ),
    (
        "history_nothing_new",
        "📥 La cronologia dall'app WhatsApp Business è arrivata di nuovo: nessun messaggio nuovo da importare.",
        "📥 The history from the WhatsApp Business app came again: no new message to import.",
    ),
    (
        "history_refused",
        "⚠️ La cronologia delle chat non è stata condivisa dall'app WhatsApp Business (errore {code}: {details}). Le chat passate restano solo sul telefono; per importarle bisogna ripetere la registrazione (Embedded Signup) con la condivisione attiva.",
        "⚠️ The chat history was not shared from the WhatsApp Business app (error {code}: {details}). Past chats stay on the phone only; importing them takes onboarding again (Embedded Signup) with sharing turned on.",
    ),
];
