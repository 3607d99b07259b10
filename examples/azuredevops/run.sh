#!/bin/sh
# DevLake calls: ./run.sh <method> <json-arg>...  (results on fd 3).
cd "$(dirname "$0")" || exit 1
if [ ! -x bin/azuredevops ]; then
  echo "error: bin/azuredevops is missing: run ./build.sh first" >&2
  exit 1
fi
DEVLAKE_PLUGIN_DIR="$(pwd)" exec bin/azuredevops "$@"
