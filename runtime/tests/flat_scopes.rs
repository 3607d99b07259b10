//! Issue 16 item 7: a plugin whose scopes have no groups does not write
//! `remote_scope_groups`; `remote-scopes` without a group lists its scopes directly, from
//! `remote_scopes(connection, "")`.

#[path = "support/protocol_child.rs"]
mod protocol_child;

use devlake::plugin::{AnyDomainScope, RemoteNode};
use devlake::prelude::*;
use devlake::testing::host;
use serde_json::json;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection, table = "_tool_flat_connections")]
pub struct Conn {
    pub token: Secret,
}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope, table = "_tool_flat_projects")]
pub struct Proj {
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config, table = "_tool_flat_scope_configs")]
pub struct Cfg {}

/// Lists two projects, without groups: no `remote_scope_groups`.
pub struct Flat;

impl Plugin for Flat {
    type Connection = Conn;
    type ToolScope = Proj;
    type ScopeConfig = Cfg;
    const NAME: Option<&'static str> = Some("flat");

    async fn test_connection(&self, _: &Connection<Conn>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scopes(&self, _: &Connection<Conn>, group: &str) -> Result<Vec<Scope<Proj>>> {
        assert_eq!(group, "", "a plugin without groups is asked for group \"\"");
        Ok(["p1", "p2"]
            .map(|id| Scope::new(id, format!("Project {id}"), Proj { url: None }))
            .into())
    }
    fn domain_scopes(&self, _: &Scope<Proj>) -> Vec<AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new()
    }
}

fn connection() -> serde_json::Value {
    json!({"id": 7, "name": "c", "token": "t"})
}

fn assert_flat(nodes: &[serde_json::Value]) {
    let ids: Vec<_> = nodes
        .iter()
        .map(|n| (n["type"].clone(), n["id"].clone()))
        .collect();
    assert_eq!(
        ids,
        [(json!("scope"), json!("p1")), (json!("scope"), json!("p2"))],
        "{nodes:?}"
    );
    assert_eq!(nodes[0]["parentId"], "", "{nodes:?}");
    assert_eq!(nodes[0]["data"]["connectionId"], 7, "{nodes:?}");
    assert_eq!(nodes[0]["name"], "Project p1", "{nodes:?}");
}

#[tokio::test]
async fn remote_scopes_without_groups_lists_the_scopes_in_process() {
    let nodes = host(Flat).remote_scopes(&connection(), "").await.unwrap();
    assert!(matches!(nodes[0], RemoteNode::Scope { .. }), "{nodes:?}");
    let nodes: Vec<_> = nodes
        .iter()
        .map(|n| serde_json::to_value(n).unwrap())
        .collect();
    assert_flat(&nodes);
}

#[test]
fn remote_scopes_without_groups_lists_the_scopes_through_the_protocol() {
    let conn = connection().to_string();
    let cfg = r#"{"log_level":"info"}"#.to_string();
    for args in [
        vec!["remote-scopes".into(), cfg.clone(), conn.clone()],
        vec!["remote-scopes".into(), cfg, conn, r#""""#.into()],
    ] {
        let call = protocol_child::call(&args);
        assert_eq!(call.rc, 0, "{call:?}");
        assert_flat(&call.messages);
    }
}

/// The plugin process of the protocol test (a no-op when run as a test).
#[test]
fn protocol_child() {
    protocol_child::child_main(Flat, "flat");
}
