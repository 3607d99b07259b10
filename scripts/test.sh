#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test of the workspace (unit, doc,
# integration, end-to-end) on SQLite, MariaDB and PostgreSQL. Database tests skip loudly
# when a server is down, except under CI=true where they are mandatory.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo run -q -p cargo-devlake -- devlake scan record --kind workspace-test -- cargo test --workspace --no-fail-fast
