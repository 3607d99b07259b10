//! `cargo devlake migration ...`: migrations generated from the models.
//!
//! `add <name>` reads the plugin's models (structs deriving `devlake::Model` under `src/`,
//! outside `src/migrations/`) and rebuilds the schema its migrations leave behind from
//! the migration files themselves (their snapshot structs and builder calls; no database
//! needed). The difference becomes `src/migrations/m<version>_<name>.rs`: `create_table`
//! with a frozen snapshot of each new model, `add_column`/`drop_column` for new and
//! removed fields, `rename_column` for fields marked `#[devlake(renamed_from = "old")]`,
//! `drop_table` for removed models. `src/migrations/mod.rs` lists them all in version
//! order. `--check` writes nothing and fails while a change has no migration (for CI).

mod parse;
mod render;
mod replay;
mod schema;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Migration subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum MigrationCommand {
    /// Generate a migration from the difference between the models and existing migrations.
    Add(AddArgs),
}

/// `cargo devlake migration add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Name of the migration, snake_case (e.g. add_users).
    #[arg(required_unless_present = "check")]
    name: Option<String>,
    /// The plugin's Cargo.toml (default: the package in the current directory).
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Write a skeleton for hand-written SQL instead of generated operations.
    #[arg(long, conflicts_with = "check")]
    empty: bool,
    /// Write nothing; fail, naming each model and field that has no migration (for CI).
    #[arg(long)]
    check: bool,
    /// When a field's column type changed, drop and re-add the column (its data is lost).
    #[arg(long)]
    allow_destructive: bool,
    /// Version to use instead of the current UTC time (still bumped past the newest
    /// existing migration).
    #[arg(long, value_name = "YYYYMMDDhhmmss")]
    at: Option<String>,
}

/// Runs a migration subcommand.
pub fn run(cmd: MigrationCommand) -> Result<()> {
    match cmd {
        // `--check` records a Build Scan of itself (run again as a recorded child).
        MigrationCommand::Add(args) if args.check && !crate::scan::recorded_by_parent() => {
            let krate = crate::run::plugin::CrateArgs {
                manifest_path: args.manifest_path.clone(),
                ..Default::default()
            };
            match krate.package_and_target() {
                Ok((p, target)) => {
                    let dir = p
                        .manifest_path
                        .parent()
                        .map(|d| d.as_std_path().to_path_buf());
                    crate::scan::record_self("migration-check", &dir.unwrap_or_default(), &target)
                }
                Err(_) => add(args),
            }
        }
        MigrationCommand::Add(args) => add(args),
    }
}

/// The plugin crate: where its sources are and the crate name its table names use.
struct Project {
    root: PathBuf,
    crate_name: String,
}

impl Project {
    fn src(&self) -> PathBuf {
        self.root.join("src")
    }
    fn migrations(&self) -> PathBuf {
        self.root.join("src").join("migrations")
    }
    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }
}

fn find_project(manifest_path: Option<&Path>) -> Result<Project> {
    let args = crate::run::plugin::CrateArgs {
        manifest_path: manifest_path.map(Path::to_path_buf),
        ..Default::default()
    };
    let package = args.package()?;
    let cwd = std::env::current_dir()?;
    // The derive names tables after the compiled crate (`CARGO_CRATE_NAME`): the library's
    // when there is one, else the binary's.
    let target = package
        .targets
        .iter()
        .find(|t| t.is_lib())
        .or_else(|| package.targets.iter().find(|t| t.is_bin()))
        .map(|t| t.name.clone())
        .unwrap_or_else(|| package.name.to_string());
    let root = package
        .manifest_path
        .parent()
        .map(|d| d.as_std_path().to_path_buf())
        .unwrap_or(cwd);
    Ok(Project {
        root,
        crate_name: target.replace('-', "_"),
    })
}

/// A migration name: snake_case, usable in a module name.
fn validate_name(name: &str) -> Result<()> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !ok {
        bail!(
            "migration name {name:?} is not snake_case: use lowercase letters, digits and single underscores, starting with a letter (e.g. add_users)"
        );
    }
    Ok(())
}

const VERSION_FORMAT: &str = "%Y%m%d%H%M%S";

/// The new migration's version: `at` or the current UTC time, moved one second past the
/// newest existing version when it would not come after it.
fn pick_version(at: Option<&str>, newest: Option<u64>) -> Result<u64> {
    let mut version = match at {
        Some(text) => {
            let v: u64 = text.parse().map_err(|_| {
                anyhow::anyhow!("--at {text:?}: expected a 14-digit YYYYMMDDhhmmss version")
            })?;
            if let Err(e) = devlake::migration::check_version(v) {
                bail!("--at {text}: version {e}");
            }
            v
        }
        None => chrono::Utc::now()
            .format(VERSION_FORMAT)
            .to_string()
            .parse()?,
    };
    if let Some(newest) = newest.filter(|n| version <= *n) {
        let t = chrono::NaiveDateTime::parse_from_str(&newest.to_string(), VERSION_FORMAT)
            .with_context(|| {
                format!("existing migration version {newest} is not a valid YYYYMMDDhhmmss")
            })?;
        version = (t + chrono::Duration::seconds(1))
            .format(VERSION_FORMAT)
            .to_string()
            .parse()?;
    }
    Ok(version)
}

/// Writes files so that either all or none of them change: each goes to a temporary file
/// beside its target first, then all are renamed into place.
fn write_all(files: &[(PathBuf, String)]) -> Result<()> {
    let mut staged = Vec::new();
    for (path, text) in files {
        let tmp = path.with_extension("rs.tmp");
        if let Err(e) = std::fs::write(&tmp, text) {
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
        }
        staged.push((tmp, path));
    }
    for (tmp, path) in &staged {
        std::fs::rename(tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn add(args: AddArgs) -> Result<()> {
    if let Some(name) = &args.name {
        validate_name(name)?;
    }
    let project = find_project(args.manifest_path.as_deref())?;
    let flat = project.src().join("migrations.rs");
    if flat.exists() {
        bail!(
            "{}: cargo devlake keeps one migration per file in src/migrations/; move these scripts into src/migrations/ (see `cargo devlake migration add --empty`) and delete it",
            project.rel(&flat)
        );
    }
    let decls = parse::declarations(&project.root, &project.src(), &project.crate_name)?;
    parse::check_enums(&decls.models, &decls)?;
    let mut warnings = Vec::new();
    let files = replay::migration_files(&project.migrations(), &project.crate_name, &mut warnings)?;
    let state = replay::replay(&files);
    let plan = schema::plan(&decls.models, &state, args.allow_destructive);
    warnings.extend(plan.warnings.iter().cloned());
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let models = &decls.models;

    if args.check {
        let mut missing: Vec<String> = plan.errors.clone();
        missing.extend(plan.changes.iter().map(|c| c.describe(models)));
        if missing.is_empty() {
            println!(
                "migrations are up to date: {} migration(s) build the tables of {} model(s)",
                files.len(),
                models.iter().filter(|m| m.migrated()).count()
            );
            return Ok(());
        }
        for line in &missing {
            eprintln!("missing: {line}");
        }
        bail!(
            "{} schema change(s) have no migration; run `cargo devlake migration add <name>` and commit the file",
            missing.len()
        );
    }

    if !args.empty && !plan.errors.is_empty() {
        if let [only] = &plan.errors[..] {
            bail!("{only}");
        }
        for e in &plan.errors {
            eprintln!("error: {e}");
        }
        bail!("{} problems above; no migration written", plan.errors.len());
    }
    if !args.empty && plan.changes.is_empty() {
        println!("no changes: the migrations already build every table the models need (--empty writes a migration for hand-written SQL)");
        return Ok(());
    }

    let name = args
        .name
        .as_deref()
        .expect("clap requires a name without --check");
    let mod_path = project.migrations().join("mod.rs");
    if mod_path.exists() {
        let text = std::fs::read_to_string(&mod_path)
            .with_context(|| format!("cannot read {}", mod_path.display()))?;
        if !text.contains(render::GENERATED_MARKER) {
            bail!(
                "{} was not written by cargo devlake; move its migrations into m<version>_<name>.rs files and delete it, then run again",
                project.rel(&mod_path)
            );
        }
    }
    let version = pick_version(args.at.as_deref(), files.iter().map(|f| f.version).max())?;
    let text = if args.empty {
        render::empty_migration_file(version, name)
    } else {
        render::migration_file(version, name, &plan.changes, models, &decls)
    };
    let module = format!("m{version}_{name}");
    let path = project.migrations().join(format!("{module}.rs"));
    let mut modules: Vec<(u64, String)> = files.iter().map(|f| (f.version, f.module())).collect();
    modules.push((version, module));
    modules.sort();
    let modules: Vec<String> = modules.into_iter().map(|(_, m)| m).collect();
    std::fs::create_dir_all(project.migrations())
        .with_context(|| format!("cannot create {}", project.migrations().display()))?;
    write_all(&[
        (path.clone(), text),
        (mod_path.clone(), render::mod_file(&modules)),
    ])?;
    // rustfmt lays out `migrations![...]` by its own width rules; format so that
    // `cargo fmt --check` stays clean after every `migration add`.
    crate::fmt::rustfmt(&[path.clone(), mod_path.clone()])?;

    println!("created {}", project.rel(&path));
    for c in if args.empty {
        &[][..]
    } else {
        &plan.changes[..]
    } {
        println!("  {}", c.operation(models));
    }
    println!(
        "updated {} ({} migration(s))",
        project.rel(&mod_path),
        modules.len()
    );
    let roots = ["main.rs", "lib.rs"].map(|f| project.src().join(f));
    let declared = roots
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .any(|t| t.contains("mod migrations"));
    if !declared {
        println!("next: add `mod migrations;` to the crate root and return `migrations::scripts()` from `Plugin::migrations`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_name("add_users").is_ok());
        assert!(validate_name("v2_fix").is_ok());
        for bad in [
            "",
            "Add",
            "add-users",
            "_x",
            "x_",
            "a__b",
            "2x",
            "add users",
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions_never_collide() {
        assert_eq!(
            pick_version(Some("20240101000000"), None).unwrap(),
            20240101000000
        );
        assert_eq!(
            pick_version(Some("20240101000000"), Some(20240101000000)).unwrap(),
            20240101000001
        );
        assert_eq!(
            pick_version(Some("20240101000000"), Some(20241231235959)).unwrap(),
            20250101000000
        );
        assert!(pick_version(Some("20241301000000"), None)
            .unwrap_err()
            .to_string()
            .contains("month"));
        let now = pick_version(None, None).unwrap();
        assert!(devlake::migration::check_version(now).is_ok());
    }
}
