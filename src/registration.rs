//! The appservice registration file Synapse loads, derived from the config.

use crate::config::Config;

/// Escapes a literal for a regex.
fn regex_escape(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            o.push('\\');
        }
        o.push(c);
    }
    o
}

/// A YAML single-quoted scalar.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The registration YAML: tokens, the bot, and exclusive namespaces for the ghosts and
/// the portal aliases.
pub fn render(c: &Config) -> String {
    let a = &c.raw.appservice;
    let server = regex_escape(&c.raw.homeserver.server_name);
    let prefix = regex_escape(&a.ghost_prefix);
    format!(
        "# Sportello appservice registration, written by `sportello registration`.\n\
         # List this file in Synapse's app_service_config_files and restart Synapse.\n\
         id: {id}\n\
         url: {url}\n\
         as_token: {as_token}\n\
         hs_token: {hs_token}\n\
         sender_localpart: {bot}\n\
         rate_limited: false\n\
         receive_ephemeral: true\n\
         de.sorunome.msc2409.push_ephemeral: true\n\
         namespaces:\n\
         \x20 users:\n\
         \x20   - exclusive: true\n\
         \x20     regex: {users}\n\
         \x20 aliases:\n\
         \x20   - exclusive: true\n\
         \x20     regex: {aliases}\n\
         \x20 rooms: []\n",
        id = q(&a.id),
        url = q(&a.url),
        as_token = q(&a.as_token),
        hs_token = q(&a.hs_token),
        bot = q(&a.bot_localpart),
        users = q(&format!("@{prefix}.*:{server}")),
        aliases = q(&format!("#{prefix}.*:{server}")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_escaped_and_exclusive() {
        let c = crate::config::valid_test_config();
        let y = render(&c);
        assert!(
            y.contains(r"regex: '@whatsapp_.*:comune\.example\.it'"),
            "{y}"
        );
        assert!(
            y.contains(r"regex: '#whatsapp_.*:comune\.example\.it'"),
            "{y}"
        );
        assert!(y.contains("rate_limited: false") && y.contains("receive_ephemeral: true"));
        assert!(y.contains("sender_localpart: 'sportello'"));
        assert_eq!(y.matches("exclusive: true").count(), 2);
    }
}
