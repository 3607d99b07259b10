//! `cargo devlake new <name>`: a new plugin crate from the embedded templates.
//!
//! Everything is rendered in memory and written to a sibling folder first, then renamed
//! into place, so that a failure leaves neither a half-written crate nor a half-edited
//! workspace manifest.

mod name;
mod render;
mod runtime;
mod workspace;

use anyhow::{bail, Context as _};
use name::PluginName;
use runtime::Runtime;
use std::path::{Path, PathBuf};
use workspace::{Membership, Workspace};

/// Shown after `cargo devlake new --help`'s options.
pub const AFTER_HELP: &str = "\
Where the `devlake` runtime dependency comes from, first match wins:
  1. --runtime-path, --runtime-git or --runtime-version, when given;
  2. `devlake.workspace = true`, when the new crate joins a cargo workspace whose
     [workspace.dependencies] declares `devlake`;
  3. the runtime/ folder of the devlake-rs checkout this `cargo devlake` was built from
     (`cargo install --path cargo-devlake`), as an absolute path, when it still exists;
  4. crates.io: `devlake = \"<major.minor of cargo devlake>\"`.
The generated README says which one was used and how to change it.

When the target folder is inside a cargo workspace, the crate is added to its
`workspace.members` (formatting and comments kept) unless a members glob already covers
it or `workspace.exclude` lists it.

Examples:
  cargo devlake new acme
  cargo devlake new acme --path plugins/acme
  cargo devlake new acme --runtime-git https://github.com/devlake-rs/devlake-rs";

/// Arguments of `cargo devlake new`.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("runtime").multiple(false))]
pub struct NewArgs {
    /// Plugin name: lowercase letters, digits, `_` and `-`, starting with a letter. It is
    /// the crate name; with `-` as `_` it is DevLake's plugin name and the infix of the
    /// plugin's tables (`_tool_<name>_...`, `_raw_<name>_...`).
    pub name: String,

    /// Folder to create (default: ./<name>). It must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,

    /// Depend on a local checkout of the runtime crate (the runtime/ folder of devlake-rs).
    #[arg(long, value_name = "DIR", group = "runtime")]
    pub runtime_path: Option<PathBuf>,

    /// Depend on the runtime from a git repository of devlake-rs.
    #[arg(long, value_name = "URL", group = "runtime")]
    pub runtime_git: Option<String>,

    /// Depend on this crates.io version of the runtime (e.g. 0.1).
    #[arg(long, value_name = "REQ", group = "runtime")]
    pub runtime_version: Option<String>,
}

/// Runs `cargo devlake new`.
pub fn run(args: NewArgs) -> anyhow::Result<()> {
    let name = PluginName::parse(&args.name)?;
    let dir = absolute(args.path.as_deref().unwrap_or(Path::new(&args.name)))?;
    let existed = check_target(&dir)?;

    let workspace = Workspace::find(&dir)?;
    let membership = workspace
        .as_ref()
        .map(|ws| ws.membership(&dir))
        .transpose()?;
    let joins = workspace
        .as_ref()
        .filter(|_| !matches!(membership, Some(Membership::Excluded(_))));
    let runtime = Runtime::resolve(
        args.runtime_path.as_deref(),
        args.runtime_git.as_deref(),
        args.runtime_version.as_deref(),
        joins.is_some_and(|ws| ws.has_dependency("devlake")),
    )?;

    let vars = render::Vars {
        crate_name: name.crate_name.clone(),
        ident: name.ident.clone(),
        pascal: name.pascal.clone(),
        title: name.title.clone(),
        version: chrono::Utc::now().format("%Y%m%d%H%M%S").to_string(),
        devlake_dependency: runtime.toml_value(),
        devlake_dev_dependency: runtime.dev_toml_value(),
        runtime_source: runtime.describe(),
        generator_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut files = render::render(&vars)?;
    if let Some(ws) = joins {
        let manifest = files
            .iter_mut()
            .find(|f| f.path == "Cargo.toml")
            .expect("a Cargo.toml template");
        manifest.contents = workspace::inherit_dependencies(&manifest.contents, ws)?;
    }
    let new_manifest = match (&workspace, &membership) {
        (Some(ws), Some(Membership::Add(member))) => {
            Some((ws.manifest.clone(), ws.with_member(member)))
        }
        _ => None,
    };

    write_crate(&dir, existed, &files)?;
    if let Some((path, text)) = new_manifest {
        if let Err(e) = replace_file(&path, &text) {
            // Without its membership the crate does not build inside the workspace: undo.
            remove_crate(&dir, existed);
            return Err(e.context(format!("adding {} to {}", dir.display(), path.display())));
        }
    }

    eprintln!(
        "     Created DevLake plugin `{}` in {}",
        name.crate_name,
        dir.display()
    );
    match (&workspace, &membership) {
        (Some(ws), Some(Membership::Add(member))) => {
            eprintln!(
                "       Added \"{member}\" to the members of {}",
                ws.manifest.display()
            )
        }
        (Some(ws), Some(Membership::CoveredBy(glob))) => {
            eprintln!(
                "        Note the workspace {} already covers it with \"{glob}\"",
                ws.manifest.display()
            )
        }
        (Some(ws), Some(Membership::Excluded(ex))) => {
            eprintln!(
                "        Note the workspace {} excludes it (\"{ex}\"): it is a crate of its own",
                ws.manifest.display()
            )
        }
        _ => {}
    }
    eprintln!("     Runtime {}", runtime.describe());
    eprintln!(
        "        Next cd {} && cargo test && ./build.sh && ./run.sh plugin-info '{{}}' 3>&1",
        dir.display()
    );
    Ok(())
}

/// An absolute path for `path`, with the part that exists canonicalized (so that the
/// workspace lookup sees through symlinks and `..`).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let abs = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(
            existing
                .file_name()
                .with_context(|| format!("{} has no existing parent", abs.display()))?,
        );
        existing = existing
            .parent()
            .with_context(|| format!("{} has no existing parent", abs.display()))?;
    }
    let mut out = std::fs::canonicalize(existing)
        .with_context(|| format!("resolving {}", existing.display()))?;
    for part in rest.iter().rev() {
        if *part == ".." || *part == "." {
            bail!(
                "{}: `.` and `..` after a folder that does not exist yet are ambiguous",
                path.display()
            );
        }
        out.push(part);
    }
    Ok(out)
}

/// Refuses anything but a missing folder or an empty one; tells which it is.
fn check_target(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("checking {}", dir.display())),
        Ok(m) if !m.is_dir() => bail!(
            "{} exists and is not a folder: refusing to overwrite it",
            dir.display()
        ),
        Ok(_) => {
            let mut entries =
                std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "{} is not empty: refusing to overwrite it (pick another --path, or empty it)",
                    dir.display()
                );
            }
            Ok(true)
        }
    }
}

/// Writes the files into a fresh sibling folder, formats the Rust ones, then moves them
/// into place: the whole folder when `dir` does not exist, its entries when it is empty.
fn write_crate(dir: &Path, existed: bool, files: &[render::File]) -> anyhow::Result<()> {
    let parent = dir.parent().context("the target folder has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = staging_dir(parent, dir)?;
    let result = (|| {
        for f in files {
            let path = staging.join(&f.path);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).with_context(|| format!("creating {}", p.display()))?;
            }
            std::fs::write(&path, &f.contents)
                .with_context(|| format!("writing {}", path.display()))?;
            if f.executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                    .with_context(|| format!("making {} executable", path.display()))?;
            }
        }
        rustfmt(&staging, files)?;
        if existed {
            move_entries(&staging, dir)
        } else {
            std::fs::rename(&staging, dir)
                .with_context(|| format!("moving the new crate to {}", dir.display()))
        }
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// Moves the entries of `from` into the existing, empty folder `to`, which keeps its
/// identity (a shell whose working directory it is stays there); on failure `to` is
/// emptied again.
fn move_entries(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut moved = Vec::new();
    let result = (|| {
        for entry in
            std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?
        {
            let name = entry
                .with_context(|| format!("reading {}", from.display()))?
                .file_name();
            std::fs::rename(from.join(&name), to.join(&name))
                .with_context(|| format!("moving the new crate into {}", to.display()))?;
            moved.push(to.join(&name));
        }
        Ok(())
    })();
    if result.is_err() {
        for path in moved {
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
    }
    result
}

fn staging_dir(parent: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100 {
        let candidate = parent.join(format!(
            ".{base}.cargo-devlake-new-{}-{n}",
            std::process::id()
        ));
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", candidate.display())),
        }
    }
    bail!("could not create a staging folder in {}", parent.display())
}

/// Formats the rendered Rust files (see [`crate::fmt::rustfmt`]).
fn rustfmt(root: &Path, files: &[render::File]) -> anyhow::Result<()> {
    let rs: Vec<PathBuf> = files.iter().map(|f| root.join(&f.path)).collect();
    crate::fmt::rustfmt(&rs)
}

/// Replaces a file's contents through a temporary sibling and a rename.
fn replace_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("toml.cargo-devlake-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("replacing {}", path.display()))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

/// Removes a crate `write_crate` made, leaving an empty folder where one was before.
fn remove_crate(dir: &Path, existed: bool) {
    if !existed {
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
    }
}
