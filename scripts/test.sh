#!/usr/bin/env bash
# The whole test suite: formatting, lints, then every test of the workspace (unit, doc,
# integration, end-to-end) on SQLite, MariaDB and PostgreSQL. Database tests skip loudly
# when a server is down, except under CI=true where they are mandatory. Cargo counts a
# skipped database test as passed, so the run ends with how many were skipped and why, then
# one `N passed, N failed, N skipped` line (skipped database tests are not counted passed).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== devlake with fewer database drivers"
# A plugin may build the runtime with SQLite alone or without SQLite (cargo features): both
# keep building, and a URL of a driver left out is refused with one clear line.
cargo clippy -q -p devlake --no-default-features --features sqlite --lib -- -D warnings
cargo test -q -p devlake --no-default-features --features sqlite --lib db::
for drivers in mysql postgres mysql,postgres; do
    cargo clippy -q -p devlake --no-default-features --features "$drivers" --lib -- -D warnings
done
echo "== rustdoc: the runtime's docs, with and without the testing kit"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p devlake --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc -q -p devlake --no-deps --features testing
echo "== cargo test"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# runtime/src/testing/db.rs appends one line per skipped database test to this file.
export DEVLAKE_TEST_SKIP_LOG="$work/skipped.tsv"
: >"$DEVLAKE_TEST_SKIP_LOG"
rc=0
# `scan record` passes cargo's output through unchanged, keeps its exit code and leaves a
# Build Scan of this run (its path is printed at the end).
cargo run -q -p cargo-devlake -- devlake scan record --kind workspace-test -- cargo test --workspace --no-fail-fast 2>&1 |
    tee "$work/test.log" || rc=$?
skipped=$(wc -l <"$DEVLAKE_TEST_SKIP_LOG" | tr -d ' ')
why=$(cut -f1 "$DEVLAKE_TEST_SKIP_LOG" | sort | uniq -c |
    awk '{printf "%s%s down: %d", (NR > 1 ? ", " : ""), $2, $1}')
echo
echo "database tests skipped: $skipped${why:+ ($why)}"
# Sum cargo's `test result:` lines; a skipped database test ran and returned, so cargo
# counted it passed: move it to skipped.
awk -v dbskip="$skipped" '
    /^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) p += $i
            if ($(i + 1) ~ /^failed/) f += $i
            if ($(i + 1) ~ /^ignored/) s += $i
        }
    }
    END { printf "%d passed, %d failed, %d skipped\n", p - dbskip, f, s + dbskip }
' "$work/test.log"
exit "$rc"
