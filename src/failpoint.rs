//! Test-only fail points (cargo feature `failpoints`, which the test suite turns on): a test
//! arms a point with a marker, and the code that passes that point with a subject containing
//! the marker panics there — a real item of a real queue, so the supervisor is tested on the
//! bridge itself. Without the feature `hit` is empty and compiled away.

#[cfg(feature = "failpoints")]
static ARMED: std::sync::Mutex<Vec<(&'static str, Vec<u8>)>> = std::sync::Mutex::new(Vec::new());

/// Panics at `point` while an item containing `marker` passes it (until disarmed).
#[cfg(feature = "failpoints")]
pub fn arm(point: &'static str, marker: &str) {
    let mut armed = ARMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    armed.push((point, marker.as_bytes().to_vec()));
}

#[cfg(feature = "failpoints")]
pub fn disarm(point: &'static str, marker: &str) {
    let mut armed = ARMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    armed.retain(|(p, m)| !(*p == point && m == marker.as_bytes()));
}

/// The fail point `point`, passed by `subject` (an item's stored bytes, a delivery's body):
/// panics when armed for it.
#[inline]
pub fn hit(point: &'static str, subject: &[u8]) {
    if fires(point, subject) {
        panic!("fail point {point} fired");
    }
}

/// Whether `point` is armed for `subject` (for fail points that fail without a panic).
#[inline]
pub fn fires(point: &'static str, subject: &[u8]) -> bool {
    #[cfg(feature = "failpoints")]
    {
        let armed = ARMED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        armed.iter().any(|(p, m)| {
            *p == point && !m.is_empty() && subject.windows(m.len()).any(|w| w == m.as_slice())
        })
    }
    #[cfg(not(feature = "failpoints"))]
    {
        let _ = (point, subject);
        false
    }
}
