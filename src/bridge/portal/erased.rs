//! Erased citizens, as routing sees them: an identity's keyed hash (HMAC-SHA256 with the
//! store's own key, so the record names nobody to whoever reads the store without the key)
//! and whether a message, a status or a piece of shared history is older than the citizen's
//! erasure — then it is not taken in again. Newer ones start afresh.

use crate::bridge::portal::Portals;
use crate::ids::CitizenKey;
use crate::store::{ErasureRecord, StoreError};

impl Portals {
    /// The keyed hash an identity's erasure record is kept under.
    pub(in crate::bridge) fn erasure_hash(&self, id: &CitizenKey) -> Result<String, StoreError> {
        use hmac::{Hmac, Mac};
        let secret = self.ghost_key()?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&secret).expect("any key length");
        mac.update(b"erased:");
        mac.update(id.as_str().as_bytes());
        Ok(hex::encode(mac.finalize().into_bytes()))
    }

    /// The latest erasure of any of these identities.
    pub(in crate::bridge) fn erasure_of(
        &self,
        ids: &[CitizenKey],
    ) -> Result<Option<ErasureRecord>, StoreError> {
        let mut latest: Option<ErasureRecord> = None;
        for id in ids {
            if let Some(r) = self.parts.store.erasure_record(&self.erasure_hash(id)?)?
                && latest.as_ref().is_none_or(|l| r.at > l.at)
            {
                latest = Some(r);
            }
        }
        Ok(latest)
    }

    /// Whether something of `at` (Unix seconds; unknown counts as old) about these identities
    /// is from before their erasure. Meta stamps whole seconds: a message of the erasure's own
    /// second may have been written after it, so it is taken in (a new conversation) rather
    /// than lost.
    pub(in crate::bridge) fn erased_before(
        &self,
        ids: &[CitizenKey],
        at: Option<i64>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .erasure_of(ids)?
            .is_some_and(|r| at.is_none_or(|t| before_erasure(t, &r))))
    }
}

/// Sent before the erasure was asked for (see [`Portals::erased_before`]).
pub(in crate::bridge) fn before_erasure(t: i64, r: &ErasureRecord) -> bool {
    t < r.at as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_of_the_erasure_s_own_second_is_kept() {
        let r = ErasureRecord {
            at: 1_796_193_251,
            by: "@anna:comune.test".into(),
            reason: "asked".into(),
            requested_at: None,
            done_at: 1_796_193_252,
        };
        assert!(before_erasure(1_796_193_250, &r));
        assert!(!before_erasure(1_796_193_251, &r));
        assert!(!before_erasure(1_796_193_252, &r));
    }
}
