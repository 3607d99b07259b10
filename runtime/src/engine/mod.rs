//! The engine: the traits a plugin implements ([`plugin`]) and what runs its subtasks
//! ([`stream`]: streams, the subtask [`Context`](stream::Context), sinks and runners).
//!
//! One layer, because its two halves name each other: a [`Plugin`](plugin::Plugin)
//! returns its [`Streams`](stream::Streams), and a [`Stream`](stream::Stream) is generic
//! over its plugin. Both are re-exported at the crate root (`devlake::plugin`,
//! `devlake::stream`), which is where plugin code names them.

pub mod plugin;
pub mod stream;
