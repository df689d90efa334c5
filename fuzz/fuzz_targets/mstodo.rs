//! Microsoft Graph answers to the To Do adapter: a list page, a `PATCH` answer, an error body.
//! Never a panic; tasks are `{list}/{task}`, bounded by the body, and survive the listing's JSON
//! round trip; receipts and error messages are bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_providers::fuzzing::{error_message, mstodo_page, mstodo_receipt};
use tasksync_fuzz::{check_receipt, check_tasks};

fuzz_target!(|data: &[u8]| {
    if let Ok((tasks, next)) = mstodo_page("L1", data) {
        check_tasks("mstodo", &tasks, "L1/", 8 * data.len() + tasks.len() * 32);
        assert!(next.is_none_or(|link| link.len() <= data.len()));
    }
    if let Ok(receipt) = mstodo_receipt(data) {
        check_receipt(&receipt, data);
    }
    assert!(error_message(data).chars().count() <= 301);
});
