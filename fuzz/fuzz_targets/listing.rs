//! A listing as JSON (what the Node and Python bindings and host providers hand the engine).
//! Reading never panics; a listing reads back equal from its own JSON; syncing it into a fresh
//! hub (preview, plan saved and read back, execute) works whenever the preview does, and a
//! second preview of the same listing plans nothing, under the default policy and with every
//! status writable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_core::{Listing, Policy};
use tasksync_fuzz::{assert_json_round_trip, sync_twice};

fuzz_target!(|data: &[u8]| {
    let Ok(listing) = serde_json::from_slice::<Listing>(data) else {
        return;
    };
    assert_json_round_trip(&listing, "a listing");
    sync_twice(&listing, &Policy::default());
    sync_twice(&listing, &Policy::all_writable());
});
