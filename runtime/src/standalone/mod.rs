//! Standalone runs: a whole pipeline of a plugin against a DevLake database, without
//! DevLake's server (`<plugin binary> standalone ...`, driven by `cargo devlake run`).

use crate::plugin::Plugin;
use crate::protocol::PluginHost;
use crate::Result;

/// Runs the `standalone` command of a plugin binary with its arguments.
pub fn main<P: Plugin>(host: &PluginHost<P>, args: &[String]) -> Result<()> {
    let _ = (host, args);
    Err(crate::Error::input("standalone runs are not implemented yet"))
}
