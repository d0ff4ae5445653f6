#!/usr/bin/env bash
# A kustomize post-renderer, as commonly written: stdin to a temporary kustomization, build, clean up.
# Its patches are kafka-warden's changes to the cp-helm-charts 0.6.1 default release
# (generate.mjs writes them; a test checks they still are).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/all.yaml"
cp "$here"/kustomization.yaml "$here"/added.yaml "$here"/patch-*.yaml "$dir/"
"${KUSTOMIZE:-kustomize}" build "$dir"
