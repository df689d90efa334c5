//! Entry points for the fuzz targets in the repository's `fuzz/` folder (cargo feature
//! `fuzzing`; not a stable API).

use crate::diff::Plan;

/// Sets a plan's token to the one its writes fingerprint to, as a preview does, so that a
/// fuzzed plan file gets past the token check to the rest of [`crate::SyncEngine::execute`].
pub fn seal(plan: &mut Plan) {
    plan.token = crate::diff::token(plan);
}
