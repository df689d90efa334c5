//! Limits (mirrors `sync_core::limits`): the configurable limits of caller input, given to
//! `SyncEngine(...)` and the `SessionEngine` constructors. The fixed limits (id, name and
//! title lengths) are the core's and apply to every call; a refused input is
//! `TasksyncError.InvalidInput` naming the field and the limit.

/// The limits a real user may need to raise ([`default_limits`] gives the core's defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Limits {
    /// Most items one listing may hold.
    pub max_listing_items: u64,
    /// Largest size of one task's fields (as JSON), in bytes.
    pub max_fields_bytes: u64,
    /// Most cycles one session may have.
    pub max_cycles: u64,
}

/// The core's default limits.
#[uniffi::export]
pub fn default_limits() -> Limits {
    let core = sync_core::Limits::default();
    Limits {
        max_listing_items: core.max_listing_items as u64,
        max_fields_bytes: core.max_fields_bytes as u64,
        max_cycles: core.max_cycles as u64,
    }
}

fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The core's limits for an optional host value (`None`: the defaults).
pub(crate) fn core_limits(limits: Option<Limits>) -> sync_core::Limits {
    match limits {
        Some(l) => sync_core::Limits {
            max_listing_items: size(l.max_listing_items),
            max_fields_bytes: size(l.max_fields_bytes),
            max_cycles: size(l.max_cycles),
        },
        None => sync_core::Limits::default(),
    }
}
