//! The table-name rule.

/// The plugin name a crate name gives tables and domain ids: the crate name with `-` as
/// `_` (what `CARGO_CRATE_NAME` holds; pydevlake uses the plugin's folder name).
pub fn plugin_name(crate_name: &str) -> String {
    crate_name.replace('-', "_")
}

/// The table of a model without `#[devlake(table = "...")]`:
/// `_tool_<plugin>_<plural of the lowercased type name>`, where a type name that starts with
/// the plugin's name loses that prefix, as DevLake's own plugins name their tables
/// (`JiraIssue` in plugin `jira` is `_tool_jira_issues`).
///
/// The prefix is compared case-insensitively and without the crate name's `_`/`-`
/// (`MyPluginIssue` in crate `my-plugin` or `my_plugin` is `_tool_my_plugin_issues`), and
/// only up to a word boundary: what follows it must start with a capital letter
/// (`Github` in crate `git` keeps its name). A type named like the plugin keeps its name
/// (`Trackr` in crate `trackr` is `_tool_trackr_trackrs`).
pub fn default_table(crate_name: &str, type_name: &str) -> String {
    let plugin = plugin_name(crate_name);
    let word = unprefixed(&plugin, type_name).to_lowercase();
    format!("_tool_{plugin}_{}", pluralizer::pluralize(&word, 2, false))
}

/// `type_name` without a leading plugin name, when what remains is a word of its own.
fn unprefixed<'a>(plugin: &str, type_name: &'a str) -> &'a str {
    let prefix: String = plugin.chars().filter(|c| *c != '_').collect();
    let n = prefix.len();
    if n == 0 || !type_name.is_char_boundary(n) {
        return type_name;
    }
    let (head, rest) = type_name.split_at(n);
    if head.eq_ignore_ascii_case(&prefix) && rest.starts_with(|c: char| c.is_ascii_uppercase()) {
        rest
    } else {
        type_name
    }
}

#[cfg(test)]
mod tests {
    use super::default_table;

    #[test]
    fn the_plugin_name_prefix_is_stripped() {
        assert_eq!(
            default_table("trackr", "TrackrIssue"),
            "_tool_trackr_issues"
        );
        assert_eq!(
            default_table("trackr", "TrackrIssueComment"),
            "_tool_trackr_issuecomments"
        );
        assert_eq!(default_table("jira", "JIRAIssue"), "_tool_jira_issues");
        // no prefix: as before
        assert_eq!(default_table("trackr", "Issue"), "_tool_trackr_issues");
        assert_eq!(
            default_table("fakeplugin", "FakePipeline"),
            "_tool_fakeplugin_fakepipelines"
        );
        assert_eq!(
            default_table("demo_plugin", "DemoProject"),
            "_tool_demo_plugin_demoprojects"
        );
    }

    #[test]
    fn a_type_named_like_the_plugin_keeps_its_name() {
        assert_eq!(default_table("trackr", "Trackr"), "_tool_trackr_trackrs");
        assert_eq!(default_table("trackr", "TRACKR"), "_tool_trackr_trackrs");
    }

    #[test]
    fn the_prefix_ends_at_a_word_boundary() {
        assert_eq!(default_table("git", "Github"), "_tool_git_githubs");
        assert_eq!(default_table("git", "GitRepo"), "_tool_git_repos");
        assert_eq!(
            default_table("trackr", "Trackrissue"),
            "_tool_trackr_trackrissues"
        );
        assert_eq!(default_table("trackr", "Track"), "_tool_trackr_tracks");
    }

    #[test]
    fn crate_names_with_dashes_and_underscores() {
        assert_eq!(
            default_table("my-plugin", "MyPluginIssue"),
            "_tool_my_plugin_issues"
        );
        assert_eq!(
            default_table("my_plugin", "MyPluginIssue"),
            "_tool_my_plugin_issues"
        );
        assert_eq!(
            default_table("my_plugin", "MypluginIssue"),
            "_tool_my_plugin_issues"
        );
        assert_eq!(
            default_table("my_plugin", "MyIssue"),
            "_tool_my_plugin_myissues"
        );
        assert_eq!(
            default_table("azure-devops", "AzureDevOpsBuild"),
            "_tool_azure_devops_builds"
        );
        // no crate name known: nothing to strip
        assert_eq!(default_table("", "Issue"), "_tool__issues");
    }

    #[test]
    fn non_ascii_type_names_do_not_panic() {
        assert_eq!(default_table("ab", "ÄbIssue"), "_tool_ab_äbissues");
    }
}
