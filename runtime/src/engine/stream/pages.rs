//! Reading a table in keyset pages, one page ahead on a second connection.
//!
//! Extract and convert read pages and write batches on one connection, one after the other,
//! and on MySQL and PostgreSQL most of that time is the server's (issue 17: 1.8 of 2.6 s of
//! a 100k-record run on PostgreSQL). Once a first page comes back full, the next pages are
//! read by a task of their own on a second connection, so that the server reads the next
//! page while it writes this one and while the plugin converts it, on the machine's other
//! core. The rows it reads were committed by the subtask before (the collect's raw rows,
//! the extract's tool rows), and runs of a scope are serialized, so the second session
//! reads what the first would have. SQLite reads in process, without a server to overlap
//! with, and small runs (one page) never open the second connection.

use crate::db::{Db, Dialect};
use crate::model::Value;
use crate::{Error, Result};
use tokio::sync::mpsc;

/// Rows read per page.
pub(crate) const PAGE: usize = 1000;

/// Pages read ahead of the one being processed.
const AHEAD: usize = 2;

/// A keyset-paginated query: `first` for the first page, `next` (its parameters followed
/// by the key of the last row read) for every later one.
#[derive(Debug, Clone)]
pub(crate) struct KeysetQuery {
    /// The first page's statement; it takes `params` (and the start key, if any).
    pub first: String,
    /// Every later page's statement; it takes `params` then the last row's key.
    pub next: String,
    /// The parameters both statements start with.
    pub params: Vec<Value>,
    /// Where the key is in a row (in `ORDER BY` order).
    pub key: Vec<usize>,
}

impl KeysetQuery {
    fn next_args(&self, last_key: &[Value]) -> Vec<Value> {
        let mut args = self.params.clone();
        args.extend(last_key.iter().cloned());
        args
    }

    fn key_of(&self, row: &[Value]) -> Vec<Value> {
        self.key.iter().map(|&i| row[i].clone()).collect()
    }
}

/// The pages of a [`KeysetQuery`], in key order.
pub(crate) struct KeysetPages {
    query: KeysetQuery,
    /// The key the next page starts after (`None`: the first page, from `first`).
    last: Option<Vec<Value>>,
    done: bool,
    ahead: Option<ReadAhead>,
}

struct ReadAhead {
    pages: mpsc::Receiver<Result<Vec<Vec<Value>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KeysetPages {
    /// Pages of `query` from its first page.
    pub fn new(query: KeysetQuery) -> Self {
        KeysetPages {
            query,
            last: None,
            done: false,
            ahead: None,
        }
    }

    /// Pages of `query` after `key`, all read with its `next` statement.
    pub fn after(query: KeysetQuery, key: Vec<Value>) -> Self {
        KeysetPages {
            last: Some(key),
            ..KeysetPages::new(query)
        }
    }

    /// The next page (empty at the end).
    pub async fn next(&mut self, db: &mut Db) -> Result<Vec<Vec<Value>>> {
        if self.done {
            return Ok(Vec::new());
        }
        if let Some(ahead) = &mut self.ahead {
            let page = match ahead.pages.recv().await {
                Some(page) => page?,
                None => Vec::new(),
            };
            if page.len() < PAGE {
                self.done = true;
                self.ahead = None;
            }
            return Ok(page);
        }
        let page = match &self.last {
            None => {
                let args = self.query.params.clone();
                db.fetch_all(&self.query.first, args).await?
            }
            Some(k) => {
                let args = self.query.next_args(k);
                db.fetch_all(&self.query.next, args).await?
            }
        };
        match page.last() {
            Some(row) if page.len() == PAGE => {
                let key = self.query.key_of(row);
                if db.dialect() == Dialect::Sqlite {
                    self.last = Some(key);
                    return Ok(page);
                }
                match read_ahead(db, self.query.clone(), key.clone()).await {
                    Ok(ahead) => self.ahead = Some(ahead),
                    // A server at its connection limit still serves the run: it reads
                    // on the one connection, as before.
                    Err(e) => {
                        tracing::debug!("reading on one connection (no second one: {e})");
                        self.last = Some(key);
                    }
                }
            }
            _ => self.done = true,
        }
        Ok(page)
    }
}

/// Opens a second connection and reads the pages after `key` on it, [`AHEAD`] at a time.
async fn read_ahead(db: &Db, query: KeysetQuery, key: Vec<Value>) -> Result<ReadAhead> {
    let mut reader = Db::connect_url(db.url().clone()).await?;
    let (tx, pages) = mpsc::channel(AHEAD);
    let task = tokio::spawn(async move {
        let mut key = key;
        loop {
            let page = reader
                .fetch_all(&query.next, query.next_args(&key))
                .await
                .map_err(Error::from);
            let full = matches!(&page, Ok(p) if p.len() == PAGE);
            if let Ok(p) = &page {
                if full {
                    key = query.key_of(&p[p.len() - 1]);
                }
            }
            if tx.send(page).await.is_err() || !full {
                break;
            }
        }
    });
    Ok(ReadAhead { pages, task })
}
