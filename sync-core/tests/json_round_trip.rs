//! Listings and plans read back equal from the JSON they were written as: what the CLI's
//! `preview --save` / `execute --plan` and every binding's JSON hand-over rely on. Inputs found
//! by the fuzz targets in `fuzz/` (listing).

use std::sync::Arc;

use futures::executor::block_on;
use sync_core::{Listing, MemoryStore, Plan, Policy, SyncEngine};

/// A decimal that the default (not exactly rounding) JSON float reader read back one unit in
/// the last place off from the shortest text it had been written as.
const LISTING: &str = r#"{"source":"mstodo","complete":false,"items":[{"external_id":"L1/t1",
"kind":"task","title":"Buy milk","status":"in_progress","fields":{"importance":"high",
"nested":{"a":[1,666666666666666666666666666666666666666666666666666666666666666662.5,null,true]}}}]}"#;

#[test]
fn a_listing_with_a_long_decimal_reads_back_equal_from_its_json() {
    let listing: Listing = serde_json::from_str(LISTING).unwrap();
    let text = serde_json::to_string(&listing).unwrap();
    let back: Listing = serde_json::from_str(&text).unwrap();
    assert_eq!(back, listing, "{text}");
}

#[test]
fn a_saved_plan_with_a_long_decimal_still_matches_its_token() {
    let listing: Listing = serde_json::from_str(LISTING).unwrap();
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()));
    let plan = block_on(engine.preview("s", &listing, &Policy::default())).unwrap();
    let saved: Plan = serde_json::from_str(&serde_json::to_string(&plan).unwrap()).unwrap();
    let report = block_on(engine.execute(&saved, true)).unwrap();
    assert_eq!(report.created, 1);
}
