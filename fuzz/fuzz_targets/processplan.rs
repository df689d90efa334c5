//! Process-plan API answers: a steps listing, a `PATCH` answer, an error body. Never a panic;
//! steps are `{process}/{step}`, bounded by the body, and survive the listing's JSON round
//! trip; receipts and error messages are bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_providers::fuzzing::{error_message, processplan_receipt, processplan_steps};
use tasksync_fuzz::{check_receipt, check_tasks};

fuzz_target!(|data: &[u8]| {
    if let Ok(steps) = processplan_steps("p1", data) {
        check_tasks(
            "processplan",
            &steps,
            "p1/",
            8 * data.len() + steps.len() * 64,
        );
    }
    if let Ok(receipt) = processplan_receipt(data) {
        check_receipt(&receipt, data);
    }
    assert!(error_message(data).chars().count() <= 301);
});
