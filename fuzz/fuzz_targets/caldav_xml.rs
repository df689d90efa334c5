//! A CalDAV `REPORT` answer (`multistatus` XML). Reading never panics, its resources carry no
//! more text than the body (entities only shrink), and the tasks listed from it each belong to
//! the calendar and survive the listing's JSON round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sync_providers::fuzzing::{caldav_listing, caldav_multistatus};
use tasksync_fuzz::check_tasks;

const SCOPE: &str = "tasks";

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let Ok(resources) = caldav_multistatus(&body) else {
        assert!(caldav_listing(SCOPE, data).is_err());
        return;
    };
    let text: usize = resources
        .iter()
        .map(|(href, etag, data)| href.len() + etag.as_ref().map_or(0, String::len) + data.len())
        .sum();
    assert!(
        text <= body.len(),
        "{} resources carry {text} bytes out of a {}-byte body",
        resources.len(),
        body.len()
    );
    let tasks = caldav_listing(SCOPE, data).expect("the same body reads again");
    assert!(tasks.len() <= resources.len());
    // Each task: `tasks/` + its decoded href name, its summary and uid (from its own data,
    // as JSON text at most 8 bytes per byte), and its parent's id (which children repeat).
    let longest = tasks.iter().map(|t| t.external_id.len()).max().unwrap_or(0);
    let limit = 8 * body.len() + tasks.len() * (2 * longest + 64);
    check_tasks("caldav", &tasks, &format!("{SCOPE}/"), limit);
});
