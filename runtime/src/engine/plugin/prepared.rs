//! [`Prepared`]: what [`Plugin::prepare`](super::Plugin::prepare) computed once for a task,
//! shared by its subtasks through [`Context::prepared`](crate::stream::Context::prepared).

use std::any::Any;
use std::sync::Arc;

/// A plugin's per-task state (compiled regexes, parsed settings...), of any type the plugin
/// chooses, or none. Cloning shares the value (an [`Arc`]); it is read-only, so subtasks
/// reach it without a lock.
///
/// The value's type is checked when it is read: associated type defaults
/// (`type Prepared = ();`) are not stable Rust, and a required associated type would make
/// every plugin declare one.
#[derive(Clone, Default)]
pub struct Prepared(Option<Arc<dyn Any + Send + Sync>>);

impl Prepared {
    /// Wraps a plugin's state.
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Prepared(Some(Arc::new(value)))
    }

    /// No state (what [`Plugin::prepare`](super::Plugin::prepare) returns by default).
    pub fn none() -> Self {
        Prepared(None)
    }

    /// The state, if there is one and it is a `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.as_deref()?.downcast_ref()
    }

    /// Whether there is no state.
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_none() {
            "Prepared(none)"
        } else {
            "Prepared(..)"
        })
    }
}
