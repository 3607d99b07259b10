//! `devlake::testing::DataFlowTester` on a small plugin of its own: DevLake's CSV layout
//! read and written (quoted JSON, `1`/`0` booleans, millisecond UTC timestamps, empty or
//! `NULL` cells), rows matched by key in any order, raw tables exported as imported, and
//! imported raw ids that a later collect does not collide with, on every database.

use devlake::domain::devops::CicdPipeline;
use devlake::prelude::*;
use devlake::stream::Verb;
use devlake::testing::{host, Backend, ContextBuilder, DataFlowTester, TableOptions, TestDatabase};
use serde_json::json;
use std::path::Path;

#[derive(Debug, Clone, devlake::Model)]
#[devlake(connection)]
pub struct DfConnection {}

#[derive(Debug, Clone, devlake::Model)]
#[devlake(scope)]
pub struct DfProject {}

#[derive(Debug, Clone, Default, devlake::Model)]
#[devlake(scope_config)]
pub struct DfConfig {}

/// A tool model with a column of every kind the CSV layout formats.
#[derive(Debug, Clone, devlake::Model)]
pub struct DfItem {
    #[devlake(primary_key)]
    pub id: String,
    pub n: i64,
    pub flag: bool,
    pub at: DateTime,
    pub price: Option<f64>,
    pub note: Option<String>,
    pub tags: Option<serde_json::Value>,
}

#[derive(Default)]
pub struct DfPlugin;

impl Plugin for DfPlugin {
    type Connection = DfConnection;
    type ToolScope = DfProject;
    type ScopeConfig = DfConfig;
    const NAME: Option<&'static str> = Some("df");
    async fn test_connection(&self, _: &Connection<DfConnection>) -> Result<TestConnectionResult> {
        Ok(TestConnectionResult::ok())
    }
    async fn remote_scope_groups(
        &self,
        _: &Connection<DfConnection>,
    ) -> Result<Vec<RemoteScopeGroup>> {
        Ok(vec![])
    }
    async fn remote_scopes(
        &self,
        _: &Connection<DfConnection>,
        _: &str,
    ) -> Result<Vec<Scope<DfProject>>> {
        Ok(vec![])
    }
    fn domain_scopes(&self, _: &Scope<DfProject>) -> Vec<devlake::plugin::AnyDomainScope> {
        vec![]
    }
    fn streams(&self) -> Streams<Self> {
        Streams::new().add(Items)
    }
}

pub struct Items;

impl Stream<DfPlugin> for Items {
    type ToolModel = DfItem;
    const DOMAIN_TYPES: &'static [DomainType] = &[DomainType::Cicd];
    fn domain_models(&self) -> Vec<&'static devlake::model::ModelDescriptor> {
        vec![CicdPipeline::descriptor()]
    }
    async fn collect(&self, _: &Context<DfPlugin>, out: &mut RawSink<'_>) -> Result<()> {
        let item = json!({"id": "c", "n": 3, "flag": true, "at": "2024-01-01T00:00:00Z"});
        out.push_with(item, Some("http://collected"), None).await
    }
    fn convert(&self, i: &DfItem, _: &Context<DfPlugin>, out: &mut DomainSink) -> Result<()> {
        out.push(CicdPipeline {
            name: format!("item {}", i.id),
            duration_sec: i.price,
            ..Default::default()
        })
    }
}

const RAW: &str = r#"id,params,data,url,input,created_at
1,"{""ConnectionId"":1,""ScopeId"":""p1""}","{""id"":""a"",""n"":1,""flag"":true,""at"":""2023-02-25T06:22:32.8097789Z"",""price"":1.5,""tags"":{""x"":[1,2]}}",http://x/items?page=1,"{""Page"":1}",2023-03-01T10:00:00.000+00:00
2,"{""ConnectionId"":1,""ScopeId"":""p1""}","{""id"":""b"",""n"":2,""flag"":false,""at"":""2023-02-26T00:00:00Z"",""note"":""a, \""quoted\"" note""}",http://x/items?page=2,"{""Page"":2}",2023-03-01T10:00:01.000+00:00
"#;

/// The tool rows extract makes of `RAW`, in DevLake's layout, rows in reverse key order.
const ITEMS: &str = r#"connection_id,id,n,flag,at,price,note,tags,_raw_data_params,_raw_data_table,_raw_data_id
1,b,2,0,2023-02-26T00:00:00.000+00:00,,"a, ""quoted"" note",,"{""ConnectionId"":1,""ScopeId"":""p1""}",_raw_df_items,2
1,a,1,1,2023-02-25T06:22:32.809+00:00,1.5,,"{""x"": [1, 2]}","{""ConnectionId"":1,""ScopeId"":""p1""}",_raw_df_items,1
"#;

const FIELDS: &[&str] = &[
    "n",
    "flag",
    "at",
    "price",
    "note",
    "tags",
    "_raw_data_table",
    "_raw_data_id",
];

fn context() -> Context<DfPlugin> {
    ContextBuilder::<DfPlugin>::new()
        .connection(json!({}))
        .scope(json!({"id": "p1"}))
        .build()
}

async fn flow(backend: Backend) {
    let Some(db) = TestDatabase::create(backend, "dataflow").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("raw.csv"), RAW).unwrap();
    std::fs::write(dir.path().join("items.csv"), ITEMS).unwrap();
    let mut t = DataFlowTester::new(host(DfPlugin), db.connect().await).dir(dir.path());
    let mut ctx = context();

    t.import_csv_into_raw_table("raw.csv", "_raw_df_items")
        .await;
    t.subtask(Verb::Extract, "items", &mut ctx).await;
    t.verify_table::<DfItem>("items.csv", FIELDS).await;

    // A raw table exports as it was imported (ids, quoting, timestamps).
    t.export_raw_table("_raw_df_items", "exported.csv").await;
    let exported = std::fs::read_to_string(dir.path().join("exported.csv")).unwrap();
    assert_eq!(exported, RAW);

    // Tool rows import from the same CSV (empty cells are NULL) and convert.
    t.import_csv_into_table::<DfItem>("items.csv").await;
    t.subtask(Verb::Convert, "items", &mut ctx).await;
    // A snapshot is written when asked for (here: always, CI included) ...
    t.update_snapshots(true);
    t.verify_table::<CicdPipeline>("pipelines.csv", &["name", "duration_sec"])
        .await;
    let written = std::fs::read_to_string(dir.path().join("pipelines.csv")).unwrap();
    assert!(written.starts_with("id,name,duration_sec\n"), "{written}");
    assert!(
        written.contains(",item a,1.5\n") && written.contains(",item b,\n"),
        "{written}"
    );

    // ... and compared with otherwise.
    t.update_snapshots(false);

    // With `nullable`, only NULL is NULL: an empty note stays an empty string.
    std::fs::write(
        dir.path().join("nullable.csv"),
        "connection_id,id,n,flag,at,price,note,tags\n1,z,0,1,2023-01-01T00:00:00.000+00:00,NULL,,NULL\n",
    )
    .unwrap();
    t.import_nullable_csv_into_table::<DfItem>("nullable.csv")
        .await;
    let opts = TableOptions {
        nullable: true,
        ..TableOptions::new("nullable.csv", &["price", "note", "tags"])
    };
    t.verify_table_with_options::<DfItem>(opts).await;

    // No fields: every column but when rows were written (which changes every run).
    t.update_snapshots(true);
    t.verify_table::<DfItem>("all.csv", &[]).await;
    t.update_snapshots(false);
    let all = std::fs::read_to_string(dir.path().join("all.csv")).unwrap();
    let header = all.lines().next().unwrap_or_default();
    assert_eq!(
        header,
        "connection_id,id,_raw_data_params,_raw_data_table,_raw_data_id,_raw_data_remark,n,flag,at,price,note,tags"
    );
    assert!(
        !all.contains("created_at") && !all.contains("updated_at"),
        "{all}"
    );
    t.verify_table::<DfItem>("all.csv", &[]).await;

    // Raw ids came from the file; a collect afterwards still gets fresh ones.
    t.import_csv_into_raw_table("raw.csv", "_raw_df_items")
        .await;
    let mut incremental = ContextBuilder::<DfPlugin>::new()
        .connection(json!({}))
        .scope(json!({"id": "p1"}))
        .incremental(true)
        .build();
    t.subtask(Verb::Collect, "items", &mut incremental).await;
    let ids = t
        .db()
        .fetch_all("SELECT id FROM _raw_df_items ORDER BY id", vec![])
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(Path::new(&dir.path().join("exported.csv")).exists());
}

#[tokio::test]
async fn data_flow_on_sqlite() {
    flow(Backend::Sqlite).await;
}

#[tokio::test]
async fn data_flow_on_mariadb() {
    flow(Backend::MySql).await;
}

#[tokio::test]
async fn data_flow_on_postgres() {
    flow(Backend::Postgres).await;
}

#[tokio::test]
#[should_panic(expected = "row 2: id is not an integer")]
async fn a_bad_raw_csv_names_the_file_row_and_column() {
    let db = TestDatabase::create(Backend::Sqlite, "dataflow_bad")
        .await
        .expect("SQLite is always there");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("raw.csv"), "id,params,data\nx,{},{}\n").unwrap();
    let mut t = DataFlowTester::new(host(DfPlugin), db.connect().await).dir(dir.path());
    t.import_csv_into_raw_table("raw.csv", "_raw_df_items")
        .await;
}

/// With no fields, an existing snapshot's own columns are compared: a Go plugin's
/// snapshot that leaves columns out verifies; a column the table lacks is reported.
#[tokio::test]
async fn with_no_fields_the_snapshot_says_what_is_compared() {
    let db = TestDatabase::create(Backend::Sqlite, "dataflow_subset")
        .await
        .expect("SQLite is always there");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("raw.csv"), RAW).unwrap();
    std::fs::write(
        dir.path().join("subset.csv"),
        "connection_id,id,n\n1,a,1\n1,b,2\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("wrong.csv"),
        "connection_id,id,n\n1,a,1\n1,b,3\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bogus.csv"),
        "connection_id,id,bogus\n1,a,x\n1,b,y\n",
    )
    .unwrap();
    let mut t = DataFlowTester::new(host(DfPlugin), db.connect().await).dir(dir.path());
    t.import_csv_into_raw_table("raw.csv", "_raw_df_items")
        .await;
    t.subtask(Verb::Extract, "items", &mut context()).await;
    t.verify_table::<DfItem>("subset.csv", &[]).await;
    for (file, expected) in [
        ("wrong.csv", r#"n of 1-b: expected "3", got "2""#),
        ("bogus.csv", r#"column "bogus" is not a column of"#),
    ] {
        let verify = t.verify_table::<DfItem>(file, &[]);
        let err = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(verify))
            .await
            .expect_err("verification fails");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains(expected), "{msg}");
    }
}
