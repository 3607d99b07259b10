//! Rendering the embedded templates into the files of a new plugin.

use anyhow::Context as _;
use handlebars::Handlebars;
use serde::Serialize;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// What the templates see (`{{crate_name}}`, `{{pascal}}`, ...); `templates/README.md`
/// documents each variable.
#[derive(Debug, Clone, Serialize)]
pub struct Vars {
    /// Package name: `acme-ci`.
    pub crate_name: String,
    /// Crate identifier, DevLake plugin name and table infix: `acme_ci`.
    pub ident: String,
    /// Type-name prefix: `AcmeCi`.
    pub pascal: String,
    /// For prose: `Acme Ci`.
    pub title: String,
    /// The initial migration's version, `YYYYMMDDhhmmss` (UTC).
    pub version: String,
    /// The TOML value of the `devlake` dependency.
    pub devlake_dependency: String,
    /// The TOML value of the `devlake` dev-dependency (the same, with the testing kit).
    pub devlake_dev_dependency: String,
    /// Where that dependency comes from, for the README.
    pub runtime_source: String,
    /// The `cargo devlake` version that generated the crate.
    pub generator_version: String,
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the plugin root (`src/main.rs`).
    pub path: String,
    /// Contents.
    pub contents: String,
    /// Whether to make it executable (`build.sh`, `run.sh`: DevLake runs them).
    pub executable: bool,
}

/// Renders every template, paths included (`m{{version}}_init.rs.hbs`).
pub fn render(vars: &Vars) -> anyhow::Result<Vec<File>> {
    let mut hb = Handlebars::new();
    // A typo in a template must fail loudly rather than render an empty string.
    hb.set_strict_mode(true);
    // The output is Rust, TOML, shell and Markdown: HTML escaping would corrupt it.
    hb.register_escape_fn(handlebars::no_escape);
    let mut files = Vec::new();
    for (template_path, text) in embedded::TEMPLATES {
        let path = hb
            .render_template(template_path, vars)
            .with_context(|| format!("template path {template_path}"))?;
        let path = path
            .strip_suffix(".hbs")
            .expect("build.rs checks the suffix")
            .to_string();
        let contents = hb
            .render_template(text, vars)
            .with_context(|| format!("template {template_path}"))?;
        let executable = path.ends_with(".sh");
        files.push(File {
            path,
            contents,
            executable,
        });
    }
    Ok(files)
}
