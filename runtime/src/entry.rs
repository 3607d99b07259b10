//! The plugin binary's entry point, what [`devlake::main!`](crate::main) calls: the
//! `standalone` command ([`crate::standalone`]) or one of DevLake's protocol methods
//! ([`crate::protocol`]). The one module that knows both, so that neither imports the
//! other.

use crate::plugin::{Plugin, PluginMeta};
use crate::protocol::{self, Failure, PluginHost};

/// Runs the plugin binary with the process arguments; returns the exit code.
pub fn main<P: Plugin>(plugin: P, meta: PluginMeta) -> i32 {
    run(plugin, meta, std::env::args().skip(1).collect())
}

/// Runs the plugin binary with `args` (without the program name): `standalone ...`, or a
/// protocol method, `--help` or `--version` ([`protocol::run`]). Returns the exit code.
pub fn run<P: Plugin>(plugin: P, meta: PluginMeta, args: Vec<String>) -> i32 {
    // Not a DevLake method: a whole pipeline against a database (`cargo devlake run`).
    if args.first().map(String::as_str) == Some("standalone") {
        let host = PluginHost::new(plugin, meta);
        let outcome = crate::standalone::main(&host, &args[1..]).map_err(Failure::from);
        return protocol::exit_code(outcome);
    }
    protocol::run(plugin, meta, args)
}
