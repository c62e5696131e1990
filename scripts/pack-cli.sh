#!/usr/bin/env bash
# Packs the aiqum-jobs CLI (apps/producer) into a tarball that installs outside this repository:
#   bash scripts/pack-cli.sh [DEST_DIR]     (after the builds; `npm run pack:cli -- DEST_DIR` builds first)
# The workspace packages it imports are not published, so the tarball bundles their builds
# (`bundleDependencies` of apps/producer/package.json). npm bundles only what sits in the package's own
# node_modules, and in this repository they are links hoisted to the root: so the package is staged in a
# temporary directory with real copies of their package.json and dist/, and packed from there.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$(mkdir -p "${1:-$root}" && cd "${1:-$root}" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

producer="$root/apps/producer"
cp -R "$producer/package.json" "$producer/README.md" "$producer/bin" "$producer/dist" "$producer/dashboard" "$stage/"

# Each bundled package: its package.json and build, nothing of its sources or tests.
bundled="$(node -e 'console.log(require(process.argv[1]).bundleDependencies.join("\n"))' "$producer/package.json")"
for name in $bundled; do
  built="$(node -e 'console.log(require("node:path").dirname(require("node:fs").realpathSync(process.argv[1])))' \
    "$root/node_modules/$name/package.json")"
  if [ ! -d "$built/dist" ]; then
    echo "pack-cli: $name has no dist/: build first (npm run build)" >&2
    exit 1
  fi
  mkdir -p "$stage/node_modules/$name"
  cp -R "$built/package.json" "$built/dist" "$stage/node_modules/$name/"
done

cd "$stage"
npm pack --pack-destination "$dest" --ignore-scripts --loglevel=warn
