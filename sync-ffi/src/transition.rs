//! Status transitions and provider status mappings: the [`ProviderKind`] enum (which built-in
//! mapping a target uses), the [`StatusChange`] record, and the default state machine's
//! [`transition_allowed`]. The rules themselves are the core's.

use crate::model::Status;

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
