//! The derived table names in a crate whose name is `table_names` (this test's): a type
//! name starting with the plugin's name loses the prefix, an explicit `table` is kept.

use devlake::Model;

#[derive(Debug, Clone, devlake::Model)]
pub struct TableNamesIssue {
    #[devlake(primary_key)]
    pub id: String,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct TableNamesBoard {
    pub url: String,
}

/// Named like the plugin: nothing left to strip.
#[derive(Debug, Clone, devlake::Model)]
pub struct TableNames {
    #[devlake(primary_key)]
    pub id: String,
}

/// No word boundary after the plugin's name.
#[derive(Debug, Clone, devlake::Model)]
pub struct TableNamesake {
    #[devlake(primary_key)]
    pub id: String,
}

#[derive(Debug, Clone, devlake::Model)]
pub struct Comment {
    #[devlake(primary_key)]
    pub id: String,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection, table = "_tool_table_names_tablenamesconnections")]
pub struct TableNamesConnection {
    pub token: devlake::Secret,
}

#[test]
fn the_plugin_name_prefix_is_stripped_from_derived_table_names() {
    assert_eq!(
        TableNamesIssue::descriptor().table,
        "_tool_table_names_issues"
    );
    assert_eq!(
        TableNamesBoard::descriptor().table,
        "_tool_table_names_boards"
    );
    assert_eq!(
        TableNames::descriptor().table,
        "_tool_table_names_tablenames"
    );
    assert_eq!(Comment::descriptor().table, "_tool_table_names_comments");
    // the model keeps its name where DevLake sees it (domain ids, plugin-info)
    assert_eq!(TableNamesIssue::descriptor().name, "TableNamesIssue");
    assert_eq!(TableNamesIssue::descriptor().crate_name, "table_names");
}

#[test]
fn the_prefix_ends_at_a_word_boundary() {
    assert_eq!(
        TableNamesake::descriptor().table,
        "_tool_table_names_tablenamesakes"
    );
}

#[test]
fn an_explicit_table_is_kept() {
    assert_eq!(
        TableNamesConnection::descriptor().table,
        "_tool_table_names_tablenamesconnections"
    );
}
