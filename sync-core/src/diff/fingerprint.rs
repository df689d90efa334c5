//! The plan token: a fingerprint of the scope version a plan was computed from and of every
//! write in it, stable across processes and bindings (xxh3-128 over the writes' JSON).

use serde::Serialize;

use super::plan::{Create, Delete, Plan, Rebase, Update};

#[derive(Serialize)]
struct Fingerprinted<'a> {
    scope: &'a str,
    source: &'a str,
    scope_version: u64,
    overwrite: bool,
    creates: &'a [Create],
    updates: &'a [Update],
    deletes: &'a [Delete],
    rebases: &'a [Rebase],
}

struct HashWriter(xxhash_rust::xxh3::Xxh3);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The token of a plan: `<scope version>-<128-bit hash>`.
pub(crate) fn token(plan: &Plan) -> String {
    let fingerprinted = Fingerprinted {
        scope: &plan.scope,
        source: &plan.source,
        scope_version: plan.scope_version,
        overwrite: plan.overwrite,
        creates: &plan.creates,
        updates: &plan.updates,
        deletes: &plan.deletes,
        rebases: &plan.rebases,
    };
    let mut writer = HashWriter(xxhash_rust::xxh3::Xxh3::new());
    // Serializing plain data into a hasher cannot fail: maps have string keys, no I/O happens.
    let _ = serde_json::to_writer(&mut writer, &fingerprinted);
    format!("{}-{:032x}", plan.scope_version, writer.0.digest128())
}
