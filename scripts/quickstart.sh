#!/usr/bin/env bash
# Builds the example plugin (a Rust port of DevLake's fake plugin) and runs its whole
# pipeline, collect -> extract -> convert, against an embedded SQLite database, exactly as
# DevLake's server would call it (`run.sh <method> <json>...`, results on fd 3).
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=examples/fakeplugin
db="${1:-$PWD/target/quickstart/lake.db}"
mkdir -p "$(dirname "$db")"
echo "== building $plugin (release)"
"$plugin/build.sh"
echo "== plugin-info"
"$plugin/run.sh" plugin-info '{"log_level":"info"}' 3>&1 >/dev/null | head -c 300; echo " ..."
ctx=$(cat <<JSON
{"db_url":"sqlite:///$db","connection":{"id":1,"name":"demo","token":"this_is_a_valid_token"},
 "scope":{"id":"p1","name":"Project 1","url":"http://fake.org","connection_id":1},
 "scope_config":{"id":1,"name":"default","env":"production"},"options":{}}
JSON
)
for verb in collect extract convert; do
  echo "== $verb"
  "$plugin/run.sh" "$verb" '{"log_level":"info"}' "$ctx" '"fakepipelinestream"' 3>&1
done
echo "== done: $db"
python3 - "$db" <<'PY' 2>/dev/null || sqlite3 "$db" "SELECT status, result, COUNT(*) FROM cicd_pipelines GROUP BY 1, 2" 2>/dev/null || true
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    print(f"  {t}: {c.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]} rows")
PY
