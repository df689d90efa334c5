#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod http;

/// Every adapter from a plain configuration (needs every adapter feature).
#[cfg(all(
    feature = "mstodo",
    feature = "connectwise",
    feature = "processplan",
    feature = "azure-devops",
    feature = "caldav"
))]
pub mod config;

#[cfg(feature = "azure-devops")]
pub mod azure_devops;
#[cfg(feature = "caldav")]
pub mod caldav;
#[cfg(feature = "connectwise")]
pub mod connectwise;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
#[cfg(feature = "mstodo")]
pub mod mstodo;
#[cfg(feature = "processplan")]
pub mod processplan;

pub use http::{AuthScheme, Credentials, HttpOptions};

#[cfg(all(
    feature = "mstodo",
    feature = "connectwise",
    feature = "processplan",
    feature = "azure-devops",
    feature = "caldav"
))]
pub use config::{AdapterKind, ProviderConfig, build};

#[cfg(feature = "azure-devops")]
pub use azure_devops::{AzureDevOpsProvider, CreatedItem, EpicSpec, FeatureSpec, StorySpec};
#[cfg(feature = "caldav")]
pub use caldav::CalDavProvider;
#[cfg(feature = "connectwise")]
pub use connectwise::{ConnectWiseConfig, ConnectWiseProvider, ProjectRoute};
#[cfg(feature = "mstodo")]
pub use mstodo::MsTodoProvider;
#[cfg(feature = "processplan")]
pub use processplan::ProcessPlanProvider;
