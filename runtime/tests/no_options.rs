//! Issue 12 item 16: plugins whose scope config is `NoOptions` each get their own scope
//! config table (`_tool_<plugin>_scopeconfigs`), in plugin-info and in their migrations,
//! never the one `_tool_devlake_scopeconfigs` table shared by every plugin.

use devlake::migration::{MigrationScript, MigrationScriptBuilder};
use devlake::plugin::{AnyDomainScope, NoOptions};
use devlake::prelude::*;
use devlake::testing::{host, Backend, TestDatabase};

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection, table = "_tool_noopt_connections")]
pub struct Conn {
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope, table = "_tool_noopt_repos")]
pub struct Repo {
    pub url: Option<String>,
}

/// Two plugins, by name, that both use `NoOptions`.
pub struct Plain<const BETA: bool>;

impl<const BETA: bool> Plugin for Plain<BETA> {
    type Connection = Conn;
    type ToolScope = Repo;
    type ScopeConfig = NoOptions;
    const NAME: Option<&'static str> = if BETA { Some("beta") } else { Some("alpha") };

    async fn test_connection(&self, _: &Connection<Conn>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(&self, _: &Connection<Conn>) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(&self, _: &Connection<Conn>, _: &str) -> Result<Vec<Scope<Repo>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, _: &Scope<Repo>) -> Vec<AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new()
    }
    fn migrations(&self) -> Vec<MigrationScript> {
        let mut b = MigrationScriptBuilder::new();
        b.create_table::<NoOptions>();
        vec![MigrationScript {
            version: 20240101000001,
            // DevLake keys its migration history by version and name, across plugins.
            name: if BETA { "beta init" } else { "alpha init" }.into(),
            operations: b.build(),
        }]
    }
}

#[test]
fn each_plugin_has_its_own_scope_config_table_in_plugin_info() {
    for (info, table) in [
        (
            host(Plain::<false>).plugin_info(String::new()),
            "_tool_alpha_scopeconfigs",
        ),
        (
            host(Plain::<true>).plugin_info(String::new()),
            "_tool_beta_scopeconfigs",
        ),
    ] {
        assert_eq!(info.scope_config_model_info.table_name, table);
        let scripts = serde_json::to_string(&info.migration_scripts).unwrap();
        assert!(scripts.contains(table), "{scripts}");
        assert!(!scripts.contains("_tool_devlake_scopeconfigs"), "{scripts}");
    }
}

#[tokio::test]
async fn migrations_create_each_plugins_own_scope_config_table() {
    let Some(tdb) = TestDatabase::create(Backend::Sqlite, "no options").await else {
        return;
    };
    let mut db = tdb.connect().await;
    let alpha = host(Plain::<false>);
    let beta = host(Plain::<true>);
    devlake::migration::apply(&mut db, alpha.name(), &alpha.migrations())
        .await
        .unwrap();
    devlake::migration::apply(&mut db, beta.name(), &beta.migrations())
        .await
        .unwrap();
    let tables = db.tables().await.unwrap();
    assert!(
        tables.contains(&"_tool_alpha_scopeconfigs".to_string()),
        "{tables:?}"
    );
    assert!(
        tables.contains(&"_tool_beta_scopeconfigs".to_string()),
        "{tables:?}"
    );
    assert!(
        !tables.contains(&"_tool_devlake_scopeconfigs".to_string()),
        "{tables:?}"
    );
    assert_eq!(
        alpha.scope_config_descriptor().table,
        "_tool_alpha_scopeconfigs"
    );
}
