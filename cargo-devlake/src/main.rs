//! `cargo devlake`: the subcommand a DevLake plugin author lives in.

fn main() {
    println!("cargo devlake: under construction");
}
