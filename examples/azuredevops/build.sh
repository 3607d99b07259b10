#!/bin/sh
# Builds the plugin into ./bin; DevLake runs this before it discovers run.sh.
# DEVLAKE_PROFILE=debug builds a debug binary (the workspace tests use it to share the
# test build); the default is release.
set -e
cd "$(dirname "$0")"
profile="${DEVLAKE_PROFILE:-release}"
if [ "$profile" = "release" ]; then
  cargo build --release --quiet --bin azuredevops
  dir=release
else
  cargo build --quiet --bin azuredevops
  dir=debug
fi
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
mkdir -p bin
cp "$target/$dir/azuredevops" bin/azuredevops.tmp
mv bin/azuredevops.tmp bin/azuredevops
