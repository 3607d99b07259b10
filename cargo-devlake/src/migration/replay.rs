//! The schema as the existing migrations leave it, rebuilt from their files (snapshot
//! structs and builder calls) without a database.

use super::parse::{self, Declarations, ModelDef};
use super::schema::{model_columns, Column};
use anyhow::{Context, Result};
use devlake::migration::BASE_COLUMNS;
use std::collections::BTreeMap;
use std::path::Path;
use syn::visit::Visit;

/// One operation read back from a migration file.
#[derive(Debug, Clone)]
pub enum ParsedOp {
    /// `create_table::<Snapshot>()`.
    CreateTable(Box<ModelDef>),
    /// `add_column(table, column, type)`.
    AddColumn {
        table: String,
        column: String,
        column_type: String,
    },
    /// `drop_column(table, column)`.
    DropColumn { table: String, column: String },
    /// `rename_column(table, old, new)`.
    RenameColumn {
        table: String,
        old: String,
        new: String,
    },
    /// `drop_table(table)`.
    DropTable { table: String },
    /// `rename_table(old, new)`.
    RenameTable { old: String, new: String },
}

/// A migration file: `src/migrations/m<version>_<name>.rs`.
#[derive(Debug)]
pub struct MigrationFile {
    /// Version from the file name.
    pub version: u64,
    /// Name from the file name.
    pub name: String,
    /// Schema operations, in order.
    pub ops: Vec<ParsedOp>,
}

impl MigrationFile {
    /// The module name: `m<version>_<name>`.
    pub fn module(&self) -> String {
        format!("m{}_{}", self.version, self.name)
    }
}

/// Splits `m20240101000000_add_users.rs` into version and name.
pub fn file_version(file_name: &str) -> Option<(u64, String)> {
    let stem = file_name.strip_suffix(".rs")?.strip_prefix('m')?;
    let (digits, name) = stem.split_at_checked(14)?;
    let name = name.strip_prefix('_')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((digits.parse().ok()?, name.to_string()))
}

/// Reads every migration file of `dir`, in version order. `warnings` collects builder calls
/// that cannot be read back (they are assumed to change no schema).
pub fn migration_files(
    dir: &Path,
    crate_name: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<MigrationFile>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if file_name == "mod.rs" || !file_name.ends_with(".rs") {
            continue;
        }
        let Some((version, name)) = file_version(&file_name) else {
            warnings.push(format!(
                "{}: not a migration file name (m<YYYYMMDDhhmmss>_<name>.rs); ignored",
                path.display()
            ));
            continue;
        };
        let file = parse::parse_file(&path)?;
        let mut snapshots = Declarations::default();
        let label = path.display().to_string();
        parse::collect_items(&file, crate_name, &label, &mut snapshots)?;
        let mut reader = OpReader {
            snapshots: &snapshots,
            ops: Vec::new(),
            warnings,
            file: &label,
        };
        reader.visit_file(&file);
        let ops = reader.ops;
        out.push(MigrationFile { version, name, ops });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

const BUILDER_METHODS: [&str; 10] = [
    "execute",
    "execute_ignoring_errors",
    "execute_with",
    "add_column",
    "drop_column",
    "rename_column",
    "drop_table",
    "rename_table",
    "create_table",
    "create_tables",
];

struct OpReader<'a> {
    snapshots: &'a Declarations,
    ops: Vec<ParsedOp>,
    warnings: &'a mut Vec<String>,
    file: &'a str,
}

fn string_arg(e: &syn::Expr) -> Option<String> {
    match e {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Some(s.value()),
        syn::Expr::Group(g) => string_arg(&g.expr),
        syn::Expr::Paren(p) => string_arg(&p.expr),
        _ => None,
    }
}

fn type_names(ty: &syn::Type) -> Vec<String> {
    match ty {
        syn::Type::Tuple(t) => t.elems.iter().flat_map(type_names).collect(),
        syn::Type::Paren(p) => type_names(&p.elem),
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| vec![s.ident.to_string()])
            .unwrap_or_default(),
        _ => vec![],
    }
}

impl OpReader<'_> {
    fn read(&mut self, call: &syn::ExprMethodCall) {
        let method = call.method.to_string();
        let at = call.method.span().start().line;
        let args: Vec<Option<String>> = call.args.iter().map(string_arg).collect();
        let strings = |n: usize| -> Option<Vec<String>> {
            args.iter()
                .take(n)
                .cloned()
                .collect::<Option<Vec<_>>>()
                .filter(|v| v.len() == n)
        };
        let op = match method.as_str() {
            "execute" | "execute_ignoring_errors" | "execute_with" => return,
            "create_table" | "create_tables" => {
                let types = call
                    .turbofish
                    .as_ref()
                    .map(|t| {
                        t.args
                            .iter()
                            .flat_map(|a| match a {
                                syn::GenericArgument::Type(ty) => type_names(ty),
                                _ => vec![],
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                for t in types {
                    match self.snapshots.models.iter().find(|m| m.ident == t) {
                        Some(m) => self.ops.push(ParsedOp::CreateTable(Box::new(m.clone()))),
                        None => self.warnings.push(format!(
                            "{}:{at}: {method}::<{t}>: no snapshot struct {t} in this file; its table is not known",
                            self.file
                        )),
                    }
                }
                return;
            }
            "add_column" => strings(3).map(|a| ParsedOp::AddColumn {
                table: a[0].clone(),
                column: a[1].clone(),
                column_type: a[2].clone(),
            }),
            "drop_column" => strings(2).map(|a| ParsedOp::DropColumn {
                table: a[0].clone(),
                column: a[1].clone(),
            }),
            "rename_column" => strings(3).map(|a| ParsedOp::RenameColumn {
                table: a[0].clone(),
                old: a[1].clone(),
                new: a[2].clone(),
            }),
            "drop_table" => strings(1).map(|a| ParsedOp::DropTable {
                table: a[0].clone(),
            }),
            "rename_table" => strings(2).map(|a| ParsedOp::RenameTable {
                old: a[0].clone(),
                new: a[1].clone(),
            }),
            _ => return,
        };
        match op {
            Some(op) => self.ops.push(op),
            None => self.warnings.push(format!(
                "{}:{at}: {method}(...) does not take string literals; its schema change is not known",
                self.file
            )),
        }
    }
}

impl<'ast> Visit<'ast> for OpReader<'_> {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if !BUILDER_METHODS.contains(&call.method.to_string().as_str()) {
            return syn::visit::visit_expr_method_call(self, call);
        }
        // A chain `b.x().y()` nests the first call innermost: read it receiver first.
        let mut chain = vec![call];
        let mut receiver = &*call.receiver;
        while let syn::Expr::MethodCall(inner) = receiver {
            if !BUILDER_METHODS.contains(&inner.method.to_string().as_str()) {
                break;
            }
            chain.push(inner);
            receiver = &inner.receiver;
        }
        for c in chain.into_iter().rev() {
            self.read(c);
        }
    }
}

/// A table as the migrations leave it.
#[derive(Debug, Clone, Default)]
pub struct TableState {
    /// Columns, in order (the Go loader's base columns first for created tables).
    pub columns: Vec<Column>,
}

impl TableState {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// All tables the migrations create, by name.
pub type State = BTreeMap<String, TableState>;

/// Replays the migrations' operations with DevLake's "only if needed" semantics.
pub fn replay(files: &[MigrationFile]) -> State {
    let mut state = State::new();
    for file in files {
        for op in &file.ops {
            apply(&mut state, op);
        }
    }
    state
}

fn apply(state: &mut State, op: &ParsedOp) {
    match op {
        ParsedOp::CreateTable(m) => {
            if !state.contains_key(&m.table) {
                let mut columns: Vec<Column> = BASE_COLUMNS
                    .iter()
                    .map(|(n, t)| Column::new(n, t))
                    .collect();
                columns.extend(model_columns(m));
                state.insert(m.table.clone(), TableState { columns });
            }
        }
        ParsedOp::AddColumn {
            table,
            column,
            column_type,
        } => {
            if let Some(t) = state.get_mut(table) {
                if t.column(column).is_none() {
                    t.columns.push(Column::new(column, column_type));
                }
            }
        }
        ParsedOp::DropColumn { table, column } => {
            if let Some(t) = state.get_mut(table) {
                t.columns.retain(|c| !c.name.eq_ignore_ascii_case(column));
            }
        }
        ParsedOp::RenameColumn { table, old, new } => {
            if let Some(t) = state.get_mut(table) {
                if t.column(old).is_some() {
                    t.columns.retain(|c| !c.name.eq_ignore_ascii_case(new));
                    if let Some(c) = t
                        .columns
                        .iter_mut()
                        .find(|c| c.name.eq_ignore_ascii_case(old))
                    {
                        c.name = new.clone();
                    }
                }
            }
        }
        ParsedOp::DropTable { table } => {
            state.remove(table);
        }
        ParsedOp::RenameTable { old, new } => {
            if let Some(t) = state.remove(old) {
                state.insert(new.clone(), t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::file_version;

    #[test]
    fn file_names() {
        assert_eq!(
            file_version("m20240101000000_add_users.rs"),
            Some((20240101000000, "add_users".into()))
        );
        assert_eq!(file_version("m2024010100000_x.rs"), None);
        assert_eq!(file_version("m20240101000000_.rs"), None);
        assert_eq!(file_version("mod.rs"), None);
    }
}
