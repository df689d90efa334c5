//! Creating an epic / feature / user story tree (an architecture model synced into a backlog):
//! every item gets an outcome (id and URLs, or the error), so a sync history can record one
//! item per node.
//!
//! Invariant: a child is created only under a created parent; the children of a failed item
//! are reported failed without a call (nothing is created detached from its parent).

use reqwest::Method;
use serde_json::{Value, json};
use sync_core::ProviderError;

use super::AzureDevOpsProvider;
use crate::http::encode::segment;

/// The link a child carries to its parent.
pub(crate) const PARENT_LINK: &str = "System.LinkTypes.Hierarchy-Reverse";

/// A user story to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorySpec {
    /// The id in the system it comes from (e.g. an Ardoq `_id`).
    pub source_id: String,
    /// Title.
    pub name: String,
    /// Optional HTML description.
    pub description: Option<String>,
}

/// A feature and its stories.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureSpec {
    /// Source id.
    pub source_id: String,
    /// Title.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Its user stories.
    pub stories: Vec<StorySpec>,
}

/// An epic and its features.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpicSpec {
    /// Source id.
    pub source_id: String,
    /// Title.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Its features.
    pub features: Vec<FeatureSpec>,
}

/// What happened to one item of a hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedItem {
    /// Source id.
    pub source_id: String,
    /// Title.
    pub name: String,
    /// `epic`, `feature` or `user_story`.
    pub kind: &'static str,
    /// The work item id when created.
    pub id: Option<u64>,
    /// The work item's web URL (`_links.html.href`, else its API URL) when created.
    pub url: Option<String>,
    /// The work item's API URL (what a child's parent link points at) when created.
    pub api_url: Option<String>,
    /// Why it was not created.
    pub error: Option<ProviderError>,
}

impl AzureDevOpsProvider {
    /// Creates the epics, their features and their stories, parents first. Returns one
    /// outcome per item in creation order (epic, its features, each feature's stories, ...).
    pub async fn create_hierarchy(&self, epics: &[EpicSpec]) -> Vec<CreatedItem> {
        let mut out = Vec::new();
        for epic in epics {
            let made = self
                .create_one(
                    "epic",
                    &epic.source_id,
                    &epic.name,
                    epic.description.as_deref(),
                    None,
                )
                .await;
            let epic_url = made.api_url.clone();
            out.push(made);
            for feature in &epic.features {
                let made = self
                    .create_one(
                        "feature",
                        &feature.source_id,
                        &feature.name,
                        feature.description.as_deref(),
                        Some(epic_url.as_deref()),
                    )
                    .await;
                let feature_url = made.api_url.clone();
                out.push(made);
                for story in &feature.stories {
                    let made = self
                        .create_one(
                            "user_story",
                            &story.source_id,
                            &story.name,
                            story.description.as_deref(),
                            Some(feature_url.as_deref()),
                        )
                        .await;
                    out.push(made);
                }
            }
        }
        out
    }

    /// Creates one work item. `parent` is `None` for a root, `Some(None)` for a child whose
    /// parent was not created (then nothing is sent).
    async fn create_one(
        &self,
        kind: &'static str,
        source_id: &str,
        name: &str,
        description: Option<&str>,
        parent: Option<Option<&str>>,
    ) -> CreatedItem {
        let mut item = CreatedItem {
            source_id: source_id.to_owned(),
            name: name.to_owned(),
            kind,
            id: None,
            url: None,
            api_url: None,
            error: None,
        };
        if parent == Some(None) {
            item.error = Some(self.core.rejected("parent work item was not created"));
            return item;
        }
        match self.create(kind, name, description, parent.flatten()).await {
            Ok(created) => {
                item.id = created.get("id").and_then(Value::as_u64);
                item.api_url = created
                    .get("url")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                item.url = created
                    .pointer("/_links/html/href")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| item.api_url.clone());
                tracing::info!(provider = Self::NAME, kind, id = ?item.id, "work item created");
            }
            Err(err) => item.error = Some(err),
        }
        item
    }

    async fn create(
        &self,
        kind: &str,
        name: &str,
        description: Option<&str>,
        parent_url: Option<&str>,
    ) -> Result<Value, ProviderError> {
        let type_name = match kind {
            "epic" => "Epic",
            "feature" => "Feature",
            _ => "User Story",
        };
        let mut ops = vec![json!({"op": "add", "path": "/fields/System.Title", "value": name})];
        if let Some(description) = description {
            ops.push(
                json!({"op": "add", "path": "/fields/System.Description", "value": description}),
            );
        }
        if let Some(parent) = parent_url {
            ops.push(json!({
                "op": "add",
                "path": "/relations/-",
                "value": {"rel": PARENT_LINK, "url": parent},
            }));
        }
        let url = self.api(&format!("workitems/${}", segment(type_name)));
        let created = self.patch(Method::POST, url, &Value::Array(ops)).await?;
        if created.get("id").and_then(Value::as_u64).is_none() {
            return Err(self.core.rejected("created work item has no id"));
        }
        Ok(created)
    }
}
