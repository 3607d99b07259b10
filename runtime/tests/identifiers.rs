//! MySQL caps identifiers at 64 characters: the tables of the longest plugin name
//! `cargo devlake new` accepts (22 characters) are created with their indexes, whose
//! `idx_<table>_<column>` names are shortened as DevLake's gorm shortens them.

use devlake::db::ddl::index_name;
use devlake::migration::{apply, MigrationScript, MigrationScriptBuilder};
use devlake::model::Value;
use devlake::testing::{Backend, TestDatabase};

/// The init migration's models of `cargo devlake new aaaaaaaaaaaaaaaaaaaaaa`.
mod snap {
    #[derive(devlake::Model)]
    #[devlake(
        connection,
        table = "_tool_aaaaaaaaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaconnections"
    )]
    pub struct LongConnection {
        pub endpoint: String,
        pub token: devlake::Secret,
    }

    #[derive(devlake::Model)]
    #[devlake(
        scope,
        table = "_tool_aaaaaaaaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaprojects"
    )]
    pub struct LongProject {
        pub url: Option<String>,
    }

    #[derive(devlake::Model)]
    #[devlake(
        scope_config,
        table = "_tool_aaaaaaaaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaascopeconfigs"
    )]
    pub struct LongScopeConfig {
        pub production_branch: Option<String>,
    }

    #[derive(devlake::Model)]
    #[devlake(
        tool,
        table = "_tool_aaaaaaaaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaapipelines"
    )]
    pub struct LongPipeline {
        #[devlake(primary_key)]
        pub id: String,
        pub name: String,
    }
}

const PIPELINES: &str = "_tool_aaaaaaaaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaapipelines";

async fn longest_plugin_name_migrates(backend: Backend) {
    let Some(tdb) = TestDatabase::create(backend, "longname").await else {
        return;
    };
    let mut b = MigrationScriptBuilder::new();
    b.create_table::<snap::LongConnection>()
        .create_table::<snap::LongProject>()
        .create_table::<snap::LongScopeConfig>()
        .create_table::<snap::LongPipeline>();
    let script = MigrationScript {
        operations: b.build(),
        version: 20240101000000,
        name: "init".into(),
    };
    let mut db = tdb.connect().await;
    apply(&mut db, "aaaaaaaaaaaaaaaaaaaaaa", &[script])
        .await
        .unwrap_or_else(|e| panic!("on {backend:?}: {e}"));
    let index = index_name(PIPELINES, "_raw_data_params");
    assert_eq!(index.len(), 64);
    let (sql, args) = match backend {
        Backend::MySql => ("SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?", vec![Value::Text(index.clone())]),
        Backend::Postgres => ("SELECT 1 FROM pg_indexes WHERE indexname = $1", vec![Value::Text(index[..63].to_string())]),
        Backend::Sqlite => ("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", vec![Value::Text(index.clone())]),
    };
    assert!(
        !db.fetch_all(sql, args).await.unwrap().is_empty(),
        "index {index} exists on {backend:?}"
    );
}

#[tokio::test]
async fn the_longest_plugin_name_migrates_mariadb() {
    longest_plugin_name_migrates(Backend::MySql).await
}
#[tokio::test]
async fn the_longest_plugin_name_migrates_postgres() {
    longest_plugin_name_migrates(Backend::Postgres).await
}
#[tokio::test]
async fn the_longest_plugin_name_migrates_sqlite() {
    longest_plugin_name_migrates(Backend::Sqlite).await
}

/// gorm's `NamingStrategy.formatName`: 56 characters, then 8 hex digits of the SHA-1 of
/// the whole name.
#[test]
fn long_index_names_are_shortened_as_gorm_does() {
    let name = index_name(PIPELINES, "_raw_data_params");
    let full = format!("idx_{PIPELINES}__raw_data_params");
    assert_eq!(&name[..56], &full[..56]);
    assert_eq!(&name[56..], "99edccb9");
    assert_eq!(
        index_name("_raw_fake_x", "params"),
        "idx__raw_fake_x_params"
    );
}
