//! Local scans: `<target dir>/devlake-scans/<id>.json` (the document), `<id>.html` (the
//! report) and `<id>.pending` (a marker while the scan still has to be published; it holds
//! the server URL). Files are written to a temporary name and renamed: a reader never sees
//! half a scan.

use crate::model::Scan;
use std::path::{Path, PathBuf};

/// The folder name under the target directory.
pub const DIR_NAME: &str = "devlake-scans";

/// Why a local scan could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file system error, with the path.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The local scans of one target directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// The files of one stored scan.
#[derive(Debug, Clone)]
pub struct Stored {
    /// The JSON document.
    pub json: PathBuf,
    /// The HTML report.
    pub html: PathBuf,
}

impl Store {
    /// The store under `target_dir`.
    pub fn new(target_dir: &Path) -> Store {
        Store {
            dir: target_dir.join(DIR_NAME),
        }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        // `<id>.json.tmp`: each file has its own temporary name.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, bytes).map_err(io(&tmp))?;
        std::fs::rename(&tmp, path).map_err(io(path))
    }

    /// Writes the document and its report.
    pub fn save(&self, scan: &Scan) -> Result<Stored, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let json = self.dir.join(format!("{}.json", scan.id));
        let html = self.dir.join(format!("{}.html", scan.id));
        let doc = serde_json::to_vec_pretty(scan).expect("a scan serializes");
        self.write_atomic(&html, crate::report::render_html(scan).as_bytes())?;
        self.write_atomic(&json, &doc)?;
        Ok(Stored { json, html })
    }

    /// Marks a scan as still to be published to `server`.
    pub fn mark_pending(&self, id: &str, server: &str) -> Result<(), StoreError> {
        self.write_atomic(&self.dir.join(format!("{id}.pending")), server.as_bytes())
    }

    /// Clears the pending marker of a published scan.
    pub fn clear_pending(&self, id: &str) -> Result<(), StoreError> {
        let p = self.dir.join(format!("{id}.pending"));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&p)(e)),
            _ => Ok(()),
        }
    }

    /// The ids of scans waiting to be published, oldest first.
    pub fn pending(&self) -> Vec<String> {
        let mut ids: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id = name.strip_suffix(".pending")?.to_string();
                let t = e.metadata().and_then(|m| m.modified()).ok()?;
                Some((t, id))
            })
            .collect();
        ids.sort();
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// Reads one scan.
    pub fn load(&self, id: &str) -> Result<Scan, String> {
        let p = self.dir.join(format!("{id}.json"));
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        Scan::from_json(&bytes).map_err(|e| format!("{}: {e}", p.display()))
    }

    /// Every readable scan, newest first (unreadable files are skipped).
    pub fn all(&self) -> Vec<Scan> {
        let mut scans: Vec<Scan> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id = name.strip_suffix(".json")?;
                self.load(id).ok()
            })
            .collect();
        scans.sort_by_key(|s| std::cmp::Reverse(s.started_at));
        scans
    }

    /// The HTML report's path of a scan.
    pub fn html_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.html"))
    }
}

/// A new scan id: 26 random characters of lowercase base32 (130 bits).
pub fn new_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::thread_rng();
    (0..26)
        .map(|_| ALPHABET[rng.gen_range(0..32)] as char)
        .collect()
}
