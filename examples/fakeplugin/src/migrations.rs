//! The fake plugin's migrations, as `fakeplugin/migrations.py` declares them upstream:
//! frozen snapshots of the models, so later model edits never change these scripts.

use devlake::migration::{MigrationDialect, MigrationScript, MigrationScriptBuilder};

mod snapshot_20230530000001 {
    use devlake::prelude::*;

    #[derive(devlake::Model)]
    #[devlake(connection)]
    pub struct FakeConnection {
        pub token: Secret,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, devlake::Enum)]
    pub enum State {
        Pending,
        Running,
        Failure,
        Success,
    }

    #[derive(devlake::Model)]
    pub struct FakePipeline {
        #[devlake(primary_key)]
        pub id: String,
        pub started_at: Option<DateTime>,
        pub finished_at: Option<DateTime>,
        pub state: State,
    }

    #[derive(devlake::Model)]
    #[devlake(scope)]
    pub struct FakeProject {
        pub url: String,
    }

    #[derive(devlake::Model)]
    #[devlake(scope_config)]
    pub struct FakeScopeConfig {
        pub env: String,
    }
}

/// All scripts, in version order.
pub fn scripts() -> Vec<MigrationScript> {
    use snapshot_20230530000001 as s;
    let mut init = MigrationScriptBuilder::new();
    init.create_table::<s::FakeConnection>()
        .create_table::<s::FakePipeline>()
        .create_table::<s::FakeProject>()
        .create_table::<s::FakeScopeConfig>();

    let mut raw_table = MigrationScriptBuilder::new();
    raw_table
        .execute(
            "UPDATE _tool_fakeplugin_fakeprojects SET _raw_data_table = \"_raw_fakeproject_scopes\" WHERE 1=1",
            Some(MigrationDialect::Mysql),
        )
        .execute(
            "UPDATE _tool_fakeplugin_fakeprojects SET _raw_data_table = '_raw_fakeproject_scopes' WHERE 1=1",
            Some(MigrationDialect::Postgres),
        );

    vec![
        MigrationScript {
            version: 20230530000001,
            name: "init schemas".into(),
            operations: init.build(),
        },
        MigrationScript {
            version: 20230630000001,
            name: "populated _raw_data_table column for fakeproject".into(),
            operations: raw_table.build(),
        },
    ]
}
