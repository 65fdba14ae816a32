//! The vocabulary every stage shares, below all of them: interned ids and
//! the [`Intern`](ids::Intern) trait, dependencies ([`Dep`](dep::Dep),
//! [`DepKind`](dep::DepKind), rich dependencies), rpm's version order and
//! arch policy.
//!
//! This layer imports nothing of the crate: `repodata` (which parses into
//! these types) and `pool` (which keeps them) both stand on it, and neither
//! reaches into the other for them. It reads no files and knows nothing of
//! repositories.

pub mod arch;
pub mod dep;
pub mod evr;
pub mod ids;

/// Locks `m`, a poisoned lock included: what it guards stays consistent
/// between statements (a panicking holder re-raises its panic anyway).
pub(crate) fn locked<V>(m: &std::sync::Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Milliseconds since `t`, to the microsecond: the unit of every report's
/// timings.
pub(crate) fn ms_since(t: std::time::Instant) -> f64 {
    (t.elapsed().as_secs_f64() * 1e6).round() / 1e3
}
