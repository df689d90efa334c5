//! Azure DevOps answers: a WIQL result, a batch read of work items, a `PATCH` answer, an
//! error body. Never a panic; ids are numbers, tasks are bounded by the body and survive the
//! listing's JSON round trip; receipts and error messages are bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_providers::fuzzing::{
    azure_devops_ids, azure_devops_items, azure_devops_receipt, error_message,
};
use tasksync_fuzz::{check_receipt, check_tasks};

fuzz_target!(|data: &[u8]| {
    if let Ok(ids) = azure_devops_ids(data) {
        assert!(ids.len() <= data.len());
    }
    if let Ok(items) = azure_devops_items(data) {
        check_tasks(
            "azure_devops",
            &items,
            "",
            8 * data.len() + items.len() * 64,
        );
        for item in &items {
            assert!(
                item.external_id.parse::<u64>().is_ok(),
                "{}",
                item.external_id
            );
        }
    }
    if let Ok(receipt) = azure_devops_receipt(data) {
        check_receipt(&receipt, data);
    }
    assert!(error_message(data).chars().count() <= 301);
});
