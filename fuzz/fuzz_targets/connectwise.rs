//! ConnectWise Manage answers: a list page of tickets or project tasks with its `Link`
//! header, a `PATCH` answer, an error body. Never a panic; ids are the ticket id or
//! `{project}/{task}`; tasks, receipts, messages and the next link are bounded by the input.
//!
//! Input: the `Link` header's value, a newline, then the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_providers::fuzzing::{
    connectwise_next_link, connectwise_page, connectwise_receipt, error_message,
};
use tasksync_fuzz::{check_receipt, check_tasks};

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(pos) => (&data[..pos], &data[pos + 1..]),
        None => (&[][..], data),
    };
    let header = String::from_utf8_lossy(header);
    if let Some(next) = connectwise_next_link(&header) {
        assert!(
            header.contains(&next),
            "next link `{next}` is not in `{header}`"
        );
    }
    let limit = |n: usize| 8 * body.len() + n * 64;
    if let Ok(tickets) = connectwise_page(None, body) {
        check_tasks("connectwise", &tickets, "", limit(tickets.len()));
        for ticket in &tickets {
            assert!(
                ticket.external_id.parse::<i64>().is_ok(),
                "{}",
                ticket.external_id
            );
        }
    }
    if let Ok(tasks) = connectwise_page(Some("77"), body) {
        check_tasks("connectwise", &tasks, "77/", limit(tasks.len()));
    }
    if let Ok(receipt) = connectwise_receipt(body) {
        check_receipt(&receipt, body);
    }
    assert!(error_message(body).chars().count() <= 301);
});
