//! Code and code review (DevLake's `code` package): repos, commits, refs and pull requests.

use crate::model::{DateTime, Model, ModelDescriptor};

/// Status of a pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PullRequestStatus {
    /// `OPEN`: not merged nor closed yet.
    Open,
    /// `CLOSED`: closed without merging.
    Closed,
    /// `MERGED`: merged; has a `merged_date`.
    Merged,
}

/// Kind of pull-request comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, crate::Enum)]
#[devlake(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PullRequestCommentType {
    /// A comment on the pull request as a whole.
    Normal,
    /// A comment on a line of the diff.
    Diff,
    /// A review (approval, change request).
    Review,
}

/// This module's tables, in DevLake's order.
pub fn tables() -> Vec<&'static ModelDescriptor> {
    vec![
        Commit::descriptor(),
        CommitFile::descriptor(),
        CommitFileComponent::descriptor(),
        CommitParent::descriptor(),
        Component::descriptor(),
        CommitLineChange::descriptor(),
        PullRequest::descriptor(),
        PullRequestComment::descriptor(),
        PullRequestCommit::descriptor(),
        PullRequestLabel::descriptor(),
        PullRequestReviewer::descriptor(),
        PullRequestAssignee::descriptor(),
        Ref::descriptor(),
        CommitsDiff::descriptor(),
        RefCommit::descriptor(),
        RefsPrCherrypick::descriptor(),
        Repo::descriptor(),
        RepoCommit::descriptor(),
        RepoLanguage::descriptor(),
        RepoSnapshot::descriptor(),
    ]
}

/// A commit (`commits`), keyed by its SHA.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "commits")]
pub struct Commit {
    /// The commit's SHA; the key, shared by every repo that holds the commit.
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub sha: String,
    /// Lines added.
    pub additions: Option<i64>,
    /// Lines deleted.
    pub deletions: Option<i64>,
    /// DevLake's `dev_eq` for the commit, a development-equivalent effort estimate; plugins
    /// usually leave it null.
    pub dev_eq: Option<i64>,
    /// The full commit message.
    pub message: Option<String>,
    /// The author's name as written in the commit.
    #[devlake(sql_type = "varchar(255)")]
    pub author_name: Option<String>,
    /// The author's email as written in the commit.
    #[devlake(sql_type = "varchar(255)")]
    pub author_email: Option<String>,
    /// When the commit was authored; dashboards count commits and the first commit of a pull
    /// request by it.
    pub authored_date: Option<DateTime>,
    /// Domain id of the author's `accounts` row (or the email when no account is known).
    #[devlake(sql_type = "varchar(255)")]
    pub author_id: Option<String>,
    /// The committer's name.
    #[devlake(sql_type = "varchar(255)")]
    pub committer_name: Option<String>,
    /// The committer's email.
    #[devlake(sql_type = "varchar(255)")]
    pub committer_email: Option<String>,
    /// When the commit was committed.
    pub committed_date: Option<DateTime>,
    /// Domain id of the committer's `accounts` row (or the email).
    #[devlake(sql_type = "varchar(255)")]
    pub committer_id: Option<String>,
}

/// A file a commit changed, with its line counts (`commit_files`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "commit_files")]
pub struct CommitFile {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// SHA of the commit.
    #[devlake(sql_type = "varchar(40)")]
    pub commit_sha: Option<String>,
    /// Path of the changed file.
    #[devlake(sql_type = "text")]
    pub file_path: Option<String>,
    /// Lines added to the file.
    pub additions: Option<i64>,
    /// Lines deleted from the file.
    pub deletions: Option<i64>,
}

/// The component a changed file belongs to (`commit_file_components`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "commit_file_components")]
pub struct CommitFileComponent {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub commit_file_id: String,
    #[devlake(sql_type = "varchar(255)")]
    pub component_name: Option<String>,
}

/// A commit-to-parent edge of the commit graph (`commit_parents`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "commit_parents")]
pub struct CommitParent {
    /// SHA of the commit.
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub commit_sha: String,
    /// SHA of one of its parents (a merge commit has several rows).
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub parent_commit_sha: String,
}

/// A named part of a repo, matched by file path (`components`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(plain, table = "components")]
pub struct Component {
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub name: String,
    #[devlake(sql_type = "varchar(255)")]
    pub path_regex: Option<String>,
}

/// One line a commit changed, by hunk (`commit_line_change`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "commit_line_change")]
pub struct CommitLineChange {
    /// Domain id; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    #[devlake(sql_type = "varchar(40)")]
    pub commit_sha: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub new_file_path: Option<String>,
    #[devlake(sql_type = "int")]
    pub line_no_new: Option<i64>,
    #[devlake(sql_type = "int")]
    pub line_no_old: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub old_file_path: Option<String>,
    #[devlake(sql_type = "int")]
    pub hunk_num: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub changed_type: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub prev_commit: Option<String>,
}

/// A pull request or merge request (`pull_requests`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_requests")]
pub struct PullRequest {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of the `repos` row the pull request merges into; dashboards filter pull
    /// requests by project through it.
    #[devlake(sql_type = "varchar(191)")]
    pub base_repo_id: Option<String>,
    /// Domain id of the `repos` row the changes come from (a fork, or the base repo).
    #[devlake(sql_type = "varchar(191)")]
    pub head_repo_id: Option<String>,
    /// Normalised state: `OPEN`, `CLOSED` (without merging) or `MERGED`.
    #[devlake(sql_type = "varchar(100)")]
    pub status: Option<PullRequestStatus>,
    /// The status exactly as the tool reports it, before mapping to `status`.
    #[devlake(sql_type = "varchar(100)")]
    pub original_status: Option<String>,
    /// The title.
    pub title: Option<String>,
    /// The body.
    pub description: Option<String>,
    /// Link to it in the tool's web UI; dashboards' drill-down tables link to it.
    #[devlake(sql_type = "varchar(255)")]
    pub url: Option<String>,
    /// The author's user name.
    #[devlake(sql_type = "varchar(100)")]
    pub author_name: Option<String>,
    /// Domain id of the author's `accounts` row.
    #[devlake(sql_type = "varchar(100)")]
    pub author_id: Option<String>,
    /// Who merged it.
    #[devlake(sql_type = "varchar(100)")]
    pub merged_by_name: Option<String>,
    /// Domain id of the merger's `accounts` row.
    #[devlake(sql_type = "varchar(100)")]
    pub merged_by_id: Option<String>,
    /// Domain id of the pull request this one was cherry-picked from.
    #[devlake(sql_type = "varchar(100)")]
    pub parent_pr_id: Option<String>,
    /// The number users see (`#42`).
    pub pull_request_key: Option<i64>,
    /// When it was opened: the start of DORA's pickup time, the end of its coding time.
    pub created_date: Option<DateTime>,
    /// When it was merged (null when not merged); DORA's lead time runs from here to the
    /// deployment.
    pub merged_date: Option<DateTime>,
    /// When it was closed, merged or not.
    pub closed_date: Option<DateTime>,
    /// The tool's kind of pull request, when it has kinds.
    #[devlake(sql_type = "varchar(100)")]
    pub r#type: Option<String>,
    /// The component it touches, when the tool says.
    #[devlake(sql_type = "varchar(100)")]
    pub component: Option<String>,
    /// SHA of the merge commit; how DevLake finds the deployment that shipped it.
    #[devlake(sql_type = "varchar(40)")]
    pub merge_commit_sha: Option<String>,
    /// The source branch.
    #[devlake(sql_type = "varchar(255)")]
    pub head_ref: Option<String>,
    /// The target branch.
    #[devlake(sql_type = "varchar(255)")]
    pub base_ref: Option<String>,
    /// SHA of the target branch's commit it was based on.
    #[devlake(sql_type = "varchar(40)")]
    pub base_commit_sha: Option<String>,
    /// SHA of the latest commit of the source branch.
    #[devlake(sql_type = "varchar(40)")]
    pub head_commit_sha: Option<String>,
    /// Lines added.
    pub additions: Option<i64>,
    /// Lines deleted.
    pub deletions: Option<i64>,
    /// Whether it is a draft.
    pub is_draft: Option<bool>,
}

/// A comment or review on a pull request (`pull_request_comments`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_comments")]
pub struct PullRequestComment {
    /// Domain id, `<plugin>:<ToolModel>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool model when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// Domain id of the `pull_requests` row.
    #[devlake(sql_type = "varchar(191)")]
    pub pull_request_id: Option<String>,
    /// The comment's text.
    pub body: Option<String>,
    /// Domain id of the author's `accounts` row.
    #[devlake(sql_type = "varchar(255)")]
    pub account_id: Option<String>,
    /// When it was posted; the first review's date ends DORA's pickup time.
    pub created_date: Option<DateTime>,
    /// SHA of the commit a diff comment is on.
    #[devlake(sql_type = "varchar(255)")]
    pub commit_sha: Option<String>,
    /// `NORMAL` (on the pull request), `DIFF` (on a line) or `REVIEW` (an approval or change
    /// request).
    #[devlake(sql_type = "varchar(255)")]
    pub r#type: Option<PullRequestCommentType>,
    /// The review a diff comment belongs to.
    #[devlake(sql_type = "varchar(255)")]
    pub review_id: Option<String>,
    /// The review's state as the tool reports it (`APPROVED`, ...).
    #[devlake(sql_type = "varchar(255)")]
    pub status: Option<String>,
}

/// A commit of a pull request (`pull_request_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_commits")]
pub struct PullRequestCommit {
    /// SHA of a commit of the pull request.
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub commit_sha: String,
    /// Domain id of the `pull_requests` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    /// The commit's author name.
    #[devlake(sql_type = "varchar(255)")]
    pub commit_author_name: Option<String>,
    /// The commit's author email.
    #[devlake(sql_type = "varchar(255)")]
    pub commit_author_email: Option<String>,
    /// When the commit was authored; the earliest one starts DORA's coding time.
    pub commit_authored_date: Option<DateTime>,
}

/// A label on a pull request (`pull_request_labels`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_labels")]
pub struct PullRequestLabel {
    /// Domain id of the `pull_requests` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    /// The label's name as the tool spells it.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub label_name: String,
}

/// A reviewer of a pull request (`pull_request_reviewers`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_reviewers")]
pub struct PullRequestReviewer {
    /// Domain id of the `pull_requests` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    /// Domain id of the reviewer's `accounts` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub reviewer_id: String,
    /// The reviewer's display name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// The reviewer's login name.
    #[devlake(sql_type = "varchar(255)")]
    pub user_name: Option<String>,
}

/// An assignee of a pull request (`pull_request_assignees`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "pull_request_assignees")]
pub struct PullRequestAssignee {
    /// Domain id of the `pull_requests` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub pull_request_id: String,
    /// Domain id of the assignee's `accounts` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub assignee_id: String,
    /// The assignee's display name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// The assignee's login name.
    #[devlake(sql_type = "varchar(255)")]
    pub user_name: Option<String>,
}

/// A branch or tag of a repo (`refs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "refs")]
pub struct Ref {
    /// Domain id, `<repo id>:<ref name>`; the framework fills it from the tool model when
    /// empty.
    #[devlake(primary_key, sql_type = "varchar(500)")]
    pub id: String,
    /// Domain id of the `repos` row.
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    /// The branch or tag name.
    #[devlake(sql_type = "varchar(255)")]
    pub name: Option<String>,
    /// SHA the ref points at.
    #[devlake(sql_type = "varchar(40)")]
    pub commit_sha: Option<String>,
    /// Whether it is the repo's default branch.
    pub is_default: Option<bool>,
    /// `BRANCH` or `TAG`.
    #[devlake(sql_type = "varchar(255)")]
    pub ref_type: Option<String>,
    /// When the ref was created.
    pub created_date: Option<DateTime>,
}

/// A commit in the difference between two commits (`commits_diffs`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(plain, table = "commits_diffs")]
pub struct CommitsDiff {
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub new_commit_sha: String,
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub old_commit_sha: String,
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub commit_sha: String,
    pub sorting_index: Option<i64>,
}

/// The commits two compared refs pointed at (`ref_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(plain, table = "ref_commits")]
pub struct RefCommit {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub new_ref_id: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub old_ref_id: String,
    #[devlake(sql_type = "varchar(40)")]
    pub new_commit_sha: Option<String>,
    #[devlake(sql_type = "varchar(40)")]
    pub old_commit_sha: Option<String>,
}

/// A pull request cherry-picked onto other branches (`refs_pr_cherrypicks`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "refs_pr_cherrypicks")]
pub struct RefsPrCherrypick {
    #[devlake(sql_type = "varchar(255)")]
    pub repo_name: Option<String>,
    pub parent_pr_key: Option<i64>,
    #[devlake(sql_type = "varchar(255)")]
    pub cherrypick_base_branches: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub cherrypick_pr_keys: Option<String>,
    #[devlake(sql_type = "varchar(255)")]
    pub parent_pr_url: Option<String>,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub parent_pr_id: String,
}

/// A code repository; a domain scope (`repos`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "repos")]
pub struct Repo {
    /// Domain id, `<plugin>:<ToolScope>:<connection id>:<key>` as DevLake's id generator builds
    /// it; the framework fills it from the tool scope when empty.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub id: String,
    /// The repo's full name (`owner/name`); shown in dashboards' repo pickers.
    pub name: String,
    /// The repo's URL.
    pub url: Option<String>,
    /// The repo's description.
    pub description: Option<String>,
    // make-pipeline's scopes are decoded by Go's `json` tags, snake_case for these four.
    /// Domain id of the owner's `accounts` row.
    #[devlake(sql_type = "varchar(255)", rename = "owner_id")]
    pub owner_id: Option<String>,
    /// The repo's main language.
    #[devlake(sql_type = "varchar(255)")]
    pub language: Option<String>,
    /// URL or name of the repo it was forked from.
    #[devlake(rename = "forked_from")]
    pub forked_from: Option<String>,
    /// When the repo was created in the tool.
    #[devlake(rename = "created_date")]
    pub created_date: Option<DateTime>,
    /// When the repo was last changed in the tool.
    #[devlake(rename = "updated_date")]
    pub updated_date: Option<DateTime>,
    /// Whether the repo was deleted in the tool.
    pub deleted: Option<bool>,
}

impl super::DomainScope for Repo {
    const TYPE_NAME: &'static str = "Repo";
}

/// A commit that belongs to a repo (`repo_commits`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "repo_commits")]
pub struct RepoCommit {
    /// Domain id of the `repos` row.
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub repo_id: String,
    /// SHA of a commit of the repo; dashboards count a project's commits through this table.
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub commit_sha: String,
}

/// How many bytes of one language a repo holds (`repo_languages`); it has no primary key.
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(plain, table = "repo_languages")]
pub struct RepoLanguage {
    /// Domain id of the `repos` row.
    #[devlake(sql_type = "varchar(255)")]
    pub repo_id: Option<String>,
    /// The language's name.
    #[devlake(sql_type = "varchar(255)")]
    pub language: Option<String>,
    /// Bytes of code in that language.
    pub bytes: Option<i64>,
}

/// One line of a file as of a commit, for blame analysis (`repo_snapshot`).
#[derive(Debug, Clone, Default, PartialEq, crate::Model)]
#[devlake(domain, table = "repo_snapshot")]
pub struct RepoSnapshot {
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub repo_id: String,
    #[devlake(primary_key, sql_type = "varchar(40)")]
    pub commit_sha: String,
    #[devlake(primary_key, sql_type = "varchar(255)")]
    pub file_path: String,
    #[devlake(primary_key, sql_type = "int")]
    pub line_no: i64,
}
