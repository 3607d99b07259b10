//! Migration scripts as plugin-info carries them: the builder's operations serialize to the
//! exact JSON DevLake's Go server reads (`backend/server/services/remote/models/migration.go`).

use devlake::migration::{
    Migration, MigrationDialect, MigrationScript, MigrationScriptBuilder, Operation,
};
use serde_json::json;

mod snapshot {
    #[derive(devlake::Model)]
    #[devlake(connection, table = "_tool_demo_connections")]
    pub struct DemoConnection {
        pub token: devlake::Secret,
    }

    #[derive(devlake::Model)]
    #[devlake(table = "_tool_demo_builds")]
    pub struct DemoBuild {
        #[devlake(primary_key)]
        pub id: i64,
    }
}

const INIT: Migration = Migration::new(20240501000001, "init schemas", |b| {
    b.create_tables::<(snapshot::DemoConnection, snapshot::DemoBuild)>();
});

const CHANGES: Migration = Migration::new(20240601120000, "every operation", every_operation);

fn every_operation(b: &mut MigrationScriptBuilder) {
    b.execute("UPDATE t SET a = 1", None)
        .execute("UPDATE t SET a = 2", Some(MigrationDialect::Mysql))
        .execute_ignoring_errors("DROP INDEX i", Some(MigrationDialect::Postgres))
        .add_column("t", "c", "varchar(255)")
        .drop_column("t", "d")
        .rename_column("t", "e", "f")
        .drop_table("u")
        .rename_table("v", "w");
}

#[test]
fn operations_serialize_as_devlake_reads_them() {
    let scripts = devlake::migrations![INIT, CHANGES];
    let v = serde_json::to_value(&scripts).unwrap();
    assert_eq!(
        v[1],
        json!({
            "operations": [
                {"type": "execute", "sql": "UPDATE t SET a = 1", "ignore_error": false},
                {"type": "execute", "sql": "UPDATE t SET a = 2", "dialect": "mysql", "ignore_error": false},
                {"type": "execute", "sql": "DROP INDEX i", "dialect": "postgres", "ignore_error": true},
                {"type": "add_column", "table": "t", "column": "c", "column_type": "varchar(255)"},
                {"type": "drop_column", "table": "t", "column": "d"},
                {"type": "rename_column", "table": "t", "old_name": "e", "new_name": "f"},
                {"type": "drop_table", "table": "u"},
                {"type": "rename_table", "old_name": "v", "new_name": "w"}
            ],
            "version": 20240601120000u64,
            "name": "every operation"
        })
    );
    let tables: Vec<&str> = v[0]["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["model_info"]["table_name"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["_tool_demo_connections", "_tool_demo_builds"]);
    assert_eq!(v[0]["operations"][0]["type"], "create_table");
    let back: Vec<MigrationScript> = serde_json::from_value(v).unwrap();
    assert_eq!(back, scripts);
    devlake::migration::check(&scripts).unwrap();
}

#[test]
fn summaries_name_the_operation_not_the_whole_statement() {
    let ops = CHANGES.script().operations;
    let s: Vec<String> = ops.iter().map(Operation::summary).collect();
    assert_eq!(s[0], "execute `UPDATE t SET a ...`");
    assert_eq!(s[2], "execute on postgres `DROP INDEX i`, errors ignored");
    assert_eq!(s[5], "rename_column t.e -> f");
    let long = Operation::Execute {
        sql: "UPDATE t SET token = 'secret-value' WHERE id = 1".into(),
        dialect: None,
        ignore_error: false,
    };
    assert_eq!(long.summary(), "execute `UPDATE t SET token ...`");
}

#[test]
fn migration_constants_are_scripts() {
    assert_eq!(INIT.version, 20240501000001);
    assert_eq!(INIT.script().name, "init schemas");
    assert_eq!(INIT.script().operations.len(), 2);
}
