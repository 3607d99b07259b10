//! `devlake-bench`: how fast devlake-rs moves records, and at what memory cost.
//!
//! ```text
//! cargo run --release -p devlake-bench            # the full run (BENCHMARKS.md)
//! cargo run --release -p devlake-bench -- --quick # a smoke run CI can afford
//! ```
//!
//! Every measurement runs in a fresh process (this binary, re-executed with the hidden
//! `--child` mode) on a fresh database, so that its peak RSS is its own.

mod child;
mod limit;
mod parent;
mod plain;
mod plugin;
mod server;
mod startup;
mod sys;

use clap::Parser as _;

fn main() {
    let mut args = std::env::args();
    let result = if args.nth(1).as_deref() == Some("--child") {
        // Hidden: `--child <ChildArgs>`, one measurement printing one JSON line.
        let rest = std::iter::once("devlake-bench --child".to_string()).chain(args);
        child::main(child::ChildArgs::parse_from(rest))
    } else {
        parent::main(parent::Cli::parse())
    };
    if let Err(e) = result {
        eprintln!(
            "error: {}",
            format!("{e:#}")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        );
        std::process::exit(1);
    }
}
