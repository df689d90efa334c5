//! A [`TaskStore`](sync_core::TaskStore) on PostgreSQL, shared by every instance that connects
//! to the same database.

#![deny(missing_docs)]
