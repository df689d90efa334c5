//! Status transitions and provider status mappings (mirrors `sync_core::transition`): the
//! [`TransitionRules`] object (the state machine: default or in the core's JSON form), the
//! [`StatusMapping`] object (a hub status in a provider's terms and back), the
//! [`ProviderKind`] enum (which built-in mapping a target uses), the [`StatusChange`] record,
//! and the default machine's [`transition_allowed`]. The rules themselves are the core's.

use std::sync::Arc;

use crate::error::{TasksyncError, guard};
use crate::input;
use crate::model::{Status, Task};

/// The providers with a built-in status mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProviderKind {
    /// Microsoft To Do (Graph `todoTask`).
    MsTodo,
    /// ConnectWise Manage service ticket.
    ConnectWiseTicket,
    /// ConnectWise Manage project task.
    ConnectWiseProjectTask,
    /// A process-plan step.
    ProcessStep,
    /// CalDAV VTODO.
    CalDav,
    /// Azure DevOps work item (`System.State`).
    AzureDevOps,
}

impl From<ProviderKind> for sync_core::transition::ProviderKind {
    fn from(k: ProviderKind) -> Self {
        use sync_core::transition::ProviderKind as K;
        match k {
            ProviderKind::MsTodo => K::MsTodo,
            ProviderKind::ConnectWiseTicket => K::ConnectWiseTicket,
            ProviderKind::ConnectWiseProjectTask => K::ConnectWiseProjectTask,
            ProviderKind::ProcessStep => K::ProcessStep,
            ProviderKind::CalDav => K::CalDav,
            ProviderKind::AzureDevOps => K::AzureDevOps,
        }
    }
}

impl From<sync_core::transition::ProviderKind> for ProviderKind {
    fn from(k: sync_core::transition::ProviderKind) -> Self {
        use sync_core::transition::ProviderKind as K;
        match k {
            K::MsTodo => ProviderKind::MsTodo,
            K::ConnectWiseTicket => ProviderKind::ConnectWiseTicket,
            K::ConnectWiseProjectTask => ProviderKind::ConnectWiseProjectTask,
            K::ProcessStep => ProviderKind::ProcessStep,
            K::CalDav => ProviderKind::CalDav,
            K::AzureDevOps => ProviderKind::AzureDevOps,
        }
    }
}

/// One status change the state machine made (the requested one, or an effect of it).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusChange {
    /// Hub id.
    pub task_id: String,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Why, for effects (`None` for the requested change).
    pub cause: Option<String>,
}

impl From<&sync_core::transition::StatusChange> for StatusChange {
    fn from(c: &sync_core::transition::StatusChange) -> Self {
        StatusChange {
            task_id: c.task_id.clone(),
            from: c.from.into(),
            to: c.to.into(),
            cause: c.cause.clone(),
        }
    }
}

/// Whether the default state machine allows `from` -> `to` (guards aside).
#[uniffi::export]
pub fn transition_allowed(from: Status, to: Status) -> bool {
    sync_core::transition::TransitionRules::default().allows(from.into(), to.into())
}

/// The status state machine (the core's `TransitionRules`): the default table, or rules in
/// the core's JSON form; pass it to a `StatusService` to use it.
#[derive(Debug, uniffi::Object)]
pub struct TransitionRules(pub(crate) sync_core::transition::TransitionRules);

#[uniffi::export]
impl TransitionRules {
    /// The default machine (draft → pending → in progress → completed, with blocked and
    /// cancelled; dependencies guard starting and completing; a parent completes with its
    /// last child).
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(TransitionRules(Default::default()))
    }

    /// Rules in the core's JSON form (`{"allowed": [["draft", "pending"], ...], "guards":
    /// [...], "effects": [...]}`), read by the core: an unknown key or value is
    /// `InvalidInput` naming it.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let rules = sync_core::input::from_json("transition rules", &json)?;
            Ok(Arc::new(TransitionRules(rules)))
        })
    }

    /// The rules in the core's JSON form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Whether the machine has the edge `from` → `to` (guards aside).
    pub fn allows(&self, from: Status, to: Status) -> bool {
        self.0.allows(from.into(), to.into())
    }

    /// Every status change moving `task` to `to` implies: the change itself, then its effects
    /// on `related` tasks (siblings, parents); `InvalidTransition` when the machine refuses.
    #[uniffi::method(default(related = []))]
    pub fn plan(
        &self,
        task: Task,
        to: Status,
        related: Vec<Task>,
    ) -> Result<Vec<StatusChange>, TasksyncError> {
        guard(|| {
            let task: sync_core::Task = task.try_into()?;
            let related = related
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<Vec<sync_core::Task>, TasksyncError>>()?;
            let changes = self
                .0
                .plan(&task, to.into(), &related)
                .map_err(sync_core::Error::from)?;
            Ok(changes.iter().map(Into::into).collect())
        })
    }
}

/// A hub status in a provider's terms: the payload to send and the one that puts back what
/// was there.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MappedStatus {
    /// The payload to send (JSON text: an object, or a JSON Patch array for ConnectWise).
    pub payload: String,
    /// The payload that restores the provider's previous state (JSON text).
    pub undo: String,
}

/// How a hub status becomes one provider's payload and back (the core's `StatusMapping`).
#[derive(Debug, uniffi::Object)]
pub struct StatusMapping(sync_core::transition::StatusMapping);

#[uniffi::export]
impl StatusMapping {
    /// The built-in mapping of `kind`.
    #[uniffi::constructor]
    pub fn new(kind: ProviderKind) -> Arc<Self> {
        Arc::new(StatusMapping(sync_core::transition::StatusMapping::new(
            kind.into(),
        )))
    }

    /// The payload moving the provider's task, now `current` (JSON text in the provider's
    /// field names; `null` when unknown), to `to` at `now`, with its undo.
    pub fn to_provider(
        &self,
        to: Status,
        current: String,
        now: i64,
    ) -> Result<MappedStatus, TasksyncError> {
        guard(|| {
            let current = input::parse("current", &current)?;
            let mapped = self.0.to_provider(to.into(), &current, now);
            Ok(MappedStatus {
                payload: input::text(&mapped.payload),
                undo: input::text(&mapped.undo.payload),
            })
        })
    }

    /// The hub status a provider payload (JSON text) means, or null.
    // Named after the core's `StatusMapping::from_provider`, which this binds.
    #[allow(clippy::wrong_self_convention)]
    pub fn from_provider(&self, payload: String) -> Result<Option<Status>, TasksyncError> {
        guard(|| {
            let payload = input::parse("payload", &payload)?;
            Ok(self.0.from_provider(&payload).map(Into::into))
        })
    }
}
