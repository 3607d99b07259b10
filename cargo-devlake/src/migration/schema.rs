//! What the models need against what the migrations build: the changes a new migration
//! must make.

use super::parse::ModelDef;
use super::replay::State;
use devlake::db::Dialect;
use devlake::migration::{column_type_of, dialect_sql_type, BASE_COLUMNS};
use devlake::model::{columns::common_columns, ColumnType, EnumInfo, Field};
use devlake_schema::{ColumnKind, FieldSpec};

/// A column: name and type in the migration vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Name.
    pub name: String,
    /// Type (`bigint`, `text`, `varchar(255)`, ...).
    pub column_type: String,
}

impl Column {
    /// A column.
    pub fn new(name: &str, column_type: &str) -> Self {
        Column {
            name: name.to_string(),
            column_type: column_type.to_string(),
        }
    }
}

static ANY_ENUM: EnumInfo = EnumInfo {
    name: "",
    values: &[],
    db_names: &[],
};

/// The migration type of a declared field: the runtime's own rule, fed the field's parts
/// (the column kind stands for the `ColumnValue::TYPE` the compiled model would have).
pub fn field_type(f: &FieldSpec) -> String {
    if let Some(t) = &f.sql_type {
        return t.clone();
    }
    let column_type = match &f.column_kind {
        ColumnKind::String => ColumnType::String,
        ColumnKind::Integer => ColumnType::Integer,
        ColumnKind::Float => ColumnType::Float,
        ColumnKind::Boolean => ColumnType::Boolean,
        ColumnKind::DateTime => ColumnType::DateTime,
        ColumnKind::Secret => ColumnType::Secret,
        ColumnKind::Object => ColumnType::Object,
        ColumnKind::Array(_) => ColumnType::Array(None),
        ColumnKind::Enum(_) => ColumnType::Enum(&ANY_ENUM),
    };
    column_type_of(&Field {
        max_length: f.max_length,
        primary_key: f.primary_key,
        ..Field::new("", "", column_type)
    })
}

fn is_base(name: &str) -> bool {
    BASE_COLUMNS
        .iter()
        .any(|(b, _)| b.eq_ignore_ascii_case(name))
}

/// The columns a model needs besides the [`BASE_COLUMNS`] every DevLake-created table has:
/// the framework's columns for its kind, then its declared fields (a declared field
/// replaces a framework column of the same name), as the runtime lays them out.
pub fn model_columns(m: &ModelDef) -> Vec<Column> {
    let declared = |name: &str| m.fields.iter().any(|f| f.column == name);
    let mut out: Vec<Column> = common_columns(m.model_kind())
        .iter()
        .filter(|c| !is_base(c.name) && !declared(c.name))
        .map(|c| Column::new(c.name, &column_type_of(c)))
        .collect();
    out.extend(
        m.fields
            .iter()
            .filter(|f| !is_base(&f.column))
            .map(|f| Column::new(&f.column, &field_type(f))),
    );
    out
}

/// Whether two migration types make the same column (`timestamp` and `datetime` do).
pub fn same_type(a: &str, b: &str) -> bool {
    dialect_sql_type(a, Dialect::MySql).eq_ignore_ascii_case(&dialect_sql_type(b, Dialect::MySql))
}

/// One change a new migration must make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Create the table of `models[model]` from a snapshot.
    CreateTable { model: usize },
    /// Add a column for a field.
    AddColumn {
        model: usize,
        column: String,
        column_type: String,
    },
    /// Drop a column no field needs (or, destructively, one whose type changed).
    DropColumn { model: usize, column: String },
    /// Rename a column after a `renamed_from` hint.
    RenameColumn {
        model: usize,
        old: String,
        new: String,
    },
    /// Drop a table no model maps to.
    DropTable { table: String },
}

impl Change {
    /// The operation, as the generated migration spells it.
    pub fn operation(&self, models: &[ModelDef]) -> String {
        let t = |i: &usize| &models[*i].table;
        match self {
            Change::CreateTable { model } => {
                format!("create_table {} (model {})", t(model), models[*model].ident)
            }
            Change::AddColumn {
                model,
                column,
                column_type,
            } => format!("add_column {}.{column} {column_type}", t(model)),
            Change::DropColumn { model, column } => format!("drop_column {}.{column}", t(model)),
            Change::RenameColumn { model, old, new } => {
                format!("rename_column {}.{old} -> {new}", t(model))
            }
            Change::DropTable { table } => format!("drop_table {table}"),
        }
    }

    /// One line for messages: what is missing and the operation that adds it.
    pub fn describe(&self, models: &[ModelDef]) -> String {
        let m = |i: &usize| &models[*i];
        match self {
            Change::CreateTable { model } => {
                format!("model {}: table {} has no migration (create_table)", m(model).ident, m(model).table)
            }
            Change::AddColumn { model, column, column_type } => format!(
                "model {} field {column}: column {}.{column} has no migration (add_column {column_type})",
                m(model).ident,
                m(model).table
            ),
            Change::DropColumn { model, column } => format!(
                "model {}: column {}.{column} has no field and is not dropped by a migration (drop_column)",
                m(model).ident,
                m(model).table
            ),
            Change::RenameColumn { model, old, new } => format!(
                "model {} field {new}: the rename of column {}.{old} has no migration (rename_column)",
                m(model).ident,
                m(model).table
            ),
            Change::DropTable { table } => format!("table {table}: no model maps to it and no migration drops it (drop_table)"),
        }
    }
}

/// The changes to make, problems that need a person, and notes.
#[derive(Debug, Default)]
pub struct Plan {
    /// Changes, in model order, table drops last.
    pub changes: Vec<Change>,
    /// Changes the tool will not make on its own (type changes without
    /// `--allow-destructive`, two models on one table).
    pub errors: Vec<String>,
    /// Things worth knowing that do not stop generation.
    pub warnings: Vec<String>,
}

/// Compares the models with the migrations' schema.
pub fn plan(models: &[ModelDef], state: &State, allow_destructive: bool) -> Plan {
    let mut plan = Plan::default();
    let mut claimed: Vec<(&str, &ModelDef)> = Vec::new();
    for (i, m) in models.iter().enumerate().filter(|(_, m)| m.migrated()) {
        if let Some((_, other)) = claimed.iter().find(|(t, _)| *t == m.table) {
            plan.errors.push(format!(
                "models {} ({}) and {} ({}) both map to table {}; give one #[devlake(table = \"...\")]",
                other.ident, other.file, m.ident, m.file, m.table
            ));
            continue;
        }
        claimed.push((&m.table, m));
        let Some(table) = state.get(&m.table) else {
            plan.changes.push(Change::CreateTable { model: i });
            continue;
        };
        let mut existing: Vec<Column> = table.columns.clone();
        let needed = model_columns(m);
        for f in &m.fields {
            let Some(old) = &f.renamed_from else { continue };
            let has = |name: &str| existing.iter().any(|c| c.name.eq_ignore_ascii_case(name));
            if has(old) && !has(&f.column) {
                plan.changes.push(Change::RenameColumn {
                    model: i,
                    old: old.clone(),
                    new: f.column.clone(),
                });
                if let Some(c) = existing
                    .iter_mut()
                    .find(|c| c.name.eq_ignore_ascii_case(old))
                {
                    c.name = f.column.clone();
                }
            }
        }
        for col in &needed {
            match existing
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&col.name))
            {
                None => {
                    if m.fields
                        .iter()
                        .any(|f| f.column == col.name && f.primary_key)
                    {
                        plan.warnings.push(format!(
                            "model {} field {}: add_column cannot make it part of the primary key; write that by hand (cargo devlake migration add --empty)",
                            m.ident, col.name
                        ));
                    }
                    plan.changes.push(Change::AddColumn {
                        model: i,
                        column: col.name.clone(),
                        column_type: col.column_type.clone(),
                    });
                }
                Some(c) if !same_type(&c.column_type, &col.column_type) => {
                    if allow_destructive {
                        plan.changes.push(Change::DropColumn {
                            model: i,
                            column: col.name.clone(),
                        });
                        plan.changes.push(Change::AddColumn {
                            model: i,
                            column: col.name.clone(),
                            column_type: col.column_type.clone(),
                        });
                    } else {
                        plan.errors.push(format!(
                            "model {} field {}: the migrations make column {}.{} `{}` but the model needs `{}`; \
                             convert it in a hand-written migration (--empty), or pass --allow-destructive to drop and re-add the column (its data is lost)",
                            m.ident, col.name, m.table, col.name, c.column_type, col.column_type
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        for c in &existing {
            if !is_base(&c.name) && !needed.iter().any(|n| n.name.eq_ignore_ascii_case(&c.name)) {
                plan.changes.push(Change::DropColumn {
                    model: i,
                    column: c.name.clone(),
                });
            }
        }
    }
    for table in state.keys() {
        if !claimed.iter().any(|(t, _)| t == table) {
            plan.changes.push(Change::DropTable {
                table: table.clone(),
            });
        }
    }
    plan
}
