//! What became of a citizen's attachment before it is shown (uploaded, missing, too large),
//! and file sizes in words. Pure.

use super::inbound::Uploaded;

/// What became of a message's attachment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attachment<'a> {
    /// Uploaded to Matrix (or the `.vcf` of a contacts message).
    Uploaded(&'a Uploaded),
    /// None (not a media kind), or WhatsApp could not give it.
    Missing,
    /// Not fetched: larger than what the homeserver (or the bridge) accepts.
    TooLarge { size: Option<u64>, limit: u64 },
}

impl<'a> From<Option<&'a Uploaded>> for Attachment<'a> {
    fn from(u: Option<&'a Uploaded>) -> Self {
        u.map_or(Attachment::Missing, Attachment::Uploaded)
    }
}

/// A size for people: `850 kB`, `1,5 MB`, `120 MB` (decimal units, as phones show them).
pub fn size_words(bytes: u64) -> String {
    const MB: u64 = 1_000_000;
    if bytes < MB {
        format!("{} kB", bytes.div_ceil(1000))
    } else if bytes < 10 * MB {
        let tenths = (bytes * 10).div_ceil(MB);
        format!("{},{} MB", tenths / 10, tenths % 10)
    } else {
        format!("{} MB", bytes.div_ceil(MB))
    }
}
