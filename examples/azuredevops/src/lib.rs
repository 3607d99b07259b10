//! A Rust port of Apache DevLake's Azure DevOps plugin
//! (`backend/python/plugins/azuredevops`): pull requests and their commits, builds and
//! their jobs and stages, from Azure DevOps Services or Azure DevOps Server.
//!
//! | upstream (Python) | here |
//! | --- | --- |
//! | `azuredevops/main.py` | [`AzureDevOpsPlugin`] (this file) |
//! | `azuredevops/api.py` | [`api`] |
//! | `azuredevops/models.py` | [`models`] |
//! | `azuredevops/migrations.py` | [`migrations`] |
//! | `azuredevops/streams/*.py` | [`streams`] |
//!
//! What it does better than the Python plugin: a configurable base URL (Azure DevOps
//! Server), incremental collection of builds and pull requests (and of the jobs and
//! commits of only those that changed), and retries, rate limits and concurrency from
//! `devlake::api`.

pub mod api;
pub mod migrations;
pub mod models;
pub mod streams;

use api::AzureDevOpsApi;
use devlake::domain::code::Repo;
use devlake::domain::devops::CicdScope;
use devlake::plugin::{AnyDomainScope, PipelineTask, ScopePair};
use devlake::prelude::*;
use models::*;
use serde_json::{json, Map, Value as JsonValue};
use streams::{Builds, GitPullRequestCommits, GitPullRequests, Jobs};

/// External providers whose repositories Azure Pipelines builds through a service
/// endpoint, and that are offered as scopes (builds only).
pub const SUPPORTED_EXTERNAL_PROVIDERS: &[&str] =
    &["github", "githubenterprise", "bitbucket", "git"];

/// The Azure DevOps plugin.
#[derive(Debug, Default)]
pub struct AzureDevOpsPlugin;

impl Plugin for AzureDevOpsPlugin {
    type Connection = AzureDevOpsConnection;
    type ToolScope = GitRepository;
    type ScopeConfig = GitRepositoryConfig;

    fn description(&self, _name: &str) -> String {
        "Collect data from Azure DevOps".into()
    }

    async fn test_connection(
        &self,
        connection: &Connection<AzureDevOpsConnection>,
    ) -> Result<TestConnectionResult> {
        let api = AzureDevOpsApi::new(connection)?;
        let (response, hint) = match connection.organization() {
            None => (
                api.my_profile().await?,
                "You may need to edit your token to set organization to 'All accessible organizations'",
            ),
            Some(org) => (
                api.projects_response(org).await?,
                "Organization name may be incorrect or your token may not have access to the organization.",
            ),
        };
        let mut result = response.to_test_connection_result();
        if response.status().as_u16() == 401 {
            result.message = format!("Invalid token. {hint}");
        }
        Ok(result)
    }

    async fn remote_scope_groups(
        &self,
        connection: &Connection<AzureDevOpsConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        let api = AzureDevOpsApi::new(connection)?;
        let orgs = match connection.organization() {
            Some(org) => vec![org.to_string()],
            None => {
                let profile: JsonValue = api.my_profile().await?.error_for_status()?.json()?;
                let member = profile["id"]
                    .as_str()
                    .ok_or_else(|| Error::msg("the profile of the token's owner has no id"))?;
                api.accounts(member)
                    .await?
                    .iter()
                    .filter_map(|a| a["accountName"].as_str().map(str::to_string))
                    .collect()
            }
        };
        let mut groups = Vec::new();
        for org in orgs {
            for project in api.projects(&org).await? {
                if let Some(name) = project["name"].as_str() {
                    groups.push(RemoteScopeGroup::new(format!("{org}/{name}"), name));
                }
            }
        }
        Ok(groups)
    }

    async fn remote_scopes(
        &self,
        connection: &Connection<AzureDevOpsConnection>,
        group_id: &str,
    ) -> Result<Vec<Scope<GitRepository>>> {
        let Some((org, project)) = group_id.split_once('/') else {
            bail!("remote scope group {group_id:?} is not <organization>/<project>");
        };
        let api = AzureDevOpsApi::new(connection)?;
        let mut scopes = Vec::new();
        for raw in api.git_repos(org, project).await? {
            if let Some(scope) = azure_repo_scope(&raw, org, project) {
                scopes.push(scope);
            }
        }
        for endpoint in api.endpoints(org, project).await? {
            let provider = endpoint["type"].as_str().unwrap_or("").to_lowercase();
            let Some(endpoint_id) = endpoint["id"].as_str() else {
                continue;
            };
            if !SUPPORTED_EXTERNAL_PROVIDERS.contains(&provider.as_str()) {
                continue;
            }
            for repo in api
                .external_repositories(org, project, &provider, endpoint_id)
                .await?
            {
                scopes.push(external_repo_scope(&repo, org, project, &provider));
            }
        }
        Ok(scopes)
    }

    fn domain_scopes(&self, repo: &Scope<GitRepository>) -> Vec<AnyDomainScope> {
        vec![
            Repo {
                name: repo.name.clone(),
                url: Some(repo.url.clone()),
                forked_from: repo.parent_repository_url.clone(),
                ..Default::default()
            }
            .into(),
            CicdScope {
                name: repo.name.clone(),
                description: Some(repo.name.clone()),
                url: Some(repo.url.clone()),
                ..Default::default()
            }
            .into(),
        ]
    }

    fn streams(&self) -> Streams<Self> {
        Streams::new()
            .add(GitPullRequests)
            .substream(GitPullRequestCommits::default())
            .add(Builds)
            .substream(Jobs::default())
    }

    fn migrations(&self) -> Vec<devlake::migration::MigrationScript> {
        migrations::scripts()
    }

    fn extra_tasks(
        &self,
        scope: &Scope<GitRepository>,
        config: &ScopeConfig<GitRepositoryConfig>,
        connection: &Connection<AzureDevOpsConnection>,
    ) -> Vec<PipelineTask> {
        if !config.entities.contains(&DomainType::Code) || scope.is_external() {
            return Vec::new();
        }
        let Some(url) =
            clone_url_with_token(scope.remote_url.as_deref(), connection.token.expose())
        else {
            devlake::tracing::warn!(
                "repository {} has no usable clone URL: gitextractor skipped",
                scope.name
            );
            return Vec::new();
        };
        let mut options = Map::new();
        options.insert("url".into(), url.into());
        options.insert("name".into(), scope.name.clone().into());
        options.insert("fullName".into(), scope.name.clone().into());
        options.insert("repoId".into(), scope.domain_id().into());
        options.insert("proxy".into(), connection.proxy.clone().into());
        options.insert("noShallowClone".into(), true.into());
        vec![PipelineTask {
            plugin: "gitextractor".into(),
            skip_on_fail: false,
            subtasks: Vec::new(),
            options,
        }]
    }

    fn extra_stages(
        &self,
        scopes: &[ScopePair<Self>],
        _connection: &Connection<AzureDevOpsConnection>,
    ) -> Vec<Vec<PipelineTask>> {
        scopes
            .iter()
            .filter(|(scope, config)| {
                config.entities.contains(&DomainType::Code)
                    && !scope.is_external()
                    && scope.scope_config_id != Some(0)
            })
            .map(|(scope, config)| vec![refdiff(&scope.domain_id(), config.refdiff.as_ref())])
            .collect()
    }
}

/// An Azure Repos repository as a scope (`None` for an empty repository: it has no
/// default branch, as the Python plugin skips it).
pub fn azure_repo_scope(raw: &JsonValue, org: &str, project: &str) -> Option<Scope<GitRepository>> {
    let default_branch = raw["defaultBranch"].as_str().filter(|b| !b.is_empty())?;
    let id = raw["id"].as_str()?;
    let name = raw["name"].as_str().unwrap_or(id);
    let remote_url = raw["remoteUrl"].as_str().map(str::to_string);
    let url = remote_url
        .as_deref()
        .map(without_user)
        .or_else(|| raw["webUrl"].as_str().map(str::to_string))
        .unwrap_or_default();
    let updated_date = raw["project"]["lastUpdateTime"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&chrono::Utc));
    Some(Scope::new(
        id,
        format!("{project}/{name}"),
        GitRepository {
            url,
            remote_url,
            default_branch: Some(default_branch.to_string()),
            project_id: project.to_string(),
            org_id: org.to_string(),
            parent_repository_url: raw["parentRepository"]["url"].as_str().map(str::to_string),
            provider: None,
            updated_date,
        },
    ))
}

/// A repository of an external provider, seen through a service endpoint, as a scope.
pub fn external_repo_scope(
    repo: &JsonValue,
    org: &str,
    project: &str,
    provider: &str,
) -> Scope<GitRepository> {
    let id = match &repo["id"] {
        JsonValue::String(s) => s.clone(),
        other => other.to_string(),
    };
    let props = &repo["properties"];
    Scope::new(
        format!("{org}/{project}/{provider}/{id}"),
        format!(
            "{provider}/{project}/{}",
            repo["name"].as_str().unwrap_or(&id)
        ),
        GitRepository {
            url: props["cloneUrl"].as_str().unwrap_or_default().to_string(),
            remote_url: None,
            default_branch: Some(
                props["defaultBranch"]
                    .as_str()
                    .unwrap_or("main")
                    .to_string(),
            ),
            project_id: project.to_string(),
            org_id: org.to_string(),
            parent_repository_url: None,
            provider: Some(provider.to_string()),
            updated_date: None,
        },
    )
}

/// The URL without its user name and password (Azure's clone URLs carry the
/// organization as user name).
fn without_user(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => raw.to_string(),
    }
}

/// The clone URL with the token as password, for gitextractor.
fn clone_url_with_token(remote_url: Option<&str>, token: &str) -> Option<String> {
    let mut u = url::Url::parse(remote_url?).ok()?;
    u.set_password(Some(token)).ok()?;
    Some(u.to_string())
}

/// refdiff's task for a repository (pydevlake's `refdiff` helper, with its defaults).
fn refdiff(repo_id: &str, options: Option<&JsonValue>) -> PipelineTask {
    let get = |k: &str| options.and_then(|o| o.get(k)).filter(|v| !v.is_null());
    let options = json!({
        "repoId": repo_id,
        "tagsLimit": get("tags_limit").cloned().unwrap_or(json!(10)),
        "tagsOrder": get("tags_order").cloned().unwrap_or(json!("reverse semver")),
        "tagsPattern": get("tags_pattern").cloned().unwrap_or(json!(r"/v\d+\.\d+(\.\d+(-rc)*\d*)*$/")),
    });
    PipelineTask {
        plugin: "refdiff".into(),
        skip_on_fail: false,
        subtasks: Vec::new(),
        options: options.as_object().cloned().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_urls_lose_the_user_and_gain_the_token() {
        assert_eq!(
            without_user("https://org@dev.azure.com/org/p/_git/r"),
            "https://dev.azure.com/org/p/_git/r"
        );
        assert_eq!(
            clone_url_with_token(Some("https://org@dev.azure.com/org/p/_git/r"), "s3cret")
                .as_deref(),
            Some("https://org:s3cret@dev.azure.com/org/p/_git/r")
        );
        assert_eq!(clone_url_with_token(None, "x"), None);
    }

    #[test]
    fn empty_repositories_are_not_scopes() {
        let raw = json!({"id": "r1", "name": "empty", "remoteUrl": "https://o@h/o/p/_git/empty"});
        assert!(azure_repo_scope(&raw, "o", "p").is_none());
    }
}
