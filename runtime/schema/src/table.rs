//! The table-name rule.

/// The plugin name a crate name gives tables and domain ids: the crate name with `-` as
/// `_` (what `CARGO_CRATE_NAME` holds; pydevlake uses the plugin's folder name).
pub fn plugin_name(crate_name: &str) -> String {
    crate_name.replace('-', "_")
}

/// The table of a model without `#[devlake(table = "...")]`:
/// `_tool_<plugin>_<plural of the lowercased type name>`.
pub fn default_table(crate_name: &str, type_name: &str) -> String {
    let plugin = plugin_name(crate_name);
    format!(
        "_tool_{plugin}_{}",
        pluralizer::pluralize(&type_name.to_lowercase(), 2, false)
    )
}
