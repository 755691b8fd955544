//! Meta's webhook signature: `X-Hub-Signature-256` is HMAC-SHA256 of the raw body with the
//! app secret; checked before anything of the body is read or stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not sha256=<64 hex digits>")]
    Malformed,
    #[error("the signature does not match the body (wrong app secret, or the body was altered)")]
    Mismatch,
}

/// Checks `sha256=<hex>` against HMAC-SHA256(app_secret, body), in constant time.
pub fn verify_signature(
    app_secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_sig = header
        .trim()
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    let sig = hex::decode(hex_sig).map_err(|_| SignatureError::Malformed)?;
    if sig.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret).expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}
