//! The runtime's error type.

use std::fmt;

/// Errors of the runtime and of plugin code running in it. Every message is one line and
/// never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input from DevLake or the user: a malformed argument, a missing field.
    #[error("{0}")]
    Input(String),
    /// A model could not be decoded.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// A database failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    /// An API call failed.
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    /// JSON (de)serialization failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An I/O error.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// An error raised by plugin code.
    #[error("{0}")]
    Plugin(String),
    /// Any other error from plugin code, with its context.
    #[error("{context}: {source}")]
    Other {
        /// What was being done.
        context: String,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// An error raised by plugin code, from a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::Plugin(message.to_string())
    }

    /// Bad input.
    pub fn input(message: impl fmt::Display) -> Self {
        Error::Input(message.to_string())
    }

    /// Wraps any error with what was being done.
    pub fn context<E: std::error::Error + Send + Sync + 'static>(
        context: impl fmt::Display,
        source: E,
    ) -> Self {
        Error::Other {
            context: context.to_string(),
            source: Box::new(source),
        }
    }
}

/// `Result` with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds context to any error, turning it into an [`Error`].
///
/// ```
/// use devlake::ResultExt;
/// let r: devlake::Result<i32> = "x".parse::<i32>().context("parsing the page size");
/// assert_eq!(r.unwrap_err().to_string(), "parsing the page size: invalid digit found in string");
/// ```
pub trait ResultExt<T> {
    /// Wraps the error with what was being done.
    fn context(self, context: impl fmt::Display) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::context(context, e))
    }
}

/// Returns early with an [`Error::Plugin`] built from a format string.
///
/// ```
/// fn check(n: i32) -> devlake::Result<()> {
///     if n < 0 { devlake::bail!("negative page size {n}"); }
///     Ok(())
/// }
/// assert!(check(-1).is_err());
/// ```
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return ::core::result::Result::Err($crate::Error::msg(::std::format!($($arg)*)))
    };
}
