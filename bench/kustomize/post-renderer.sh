#!/usr/bin/env bash
# A kustomize post-renderer, as commonly written: stdin to a temporary kustomization, build, clean up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/all.yaml"
cp "$here/kustomization.yaml" "$here/broker-patch.yaml" "$dir/"
"${KUSTOMIZE:-kustomize}" build "$dir"
