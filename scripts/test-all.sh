#!/usr/bin/env bash
# Sets up and runs every test tier from a fresh clone: npm dependencies, the pinned Helm 3, Helm 4
# and kustomize binaries (built from the Go module proxy, cached under ~/.cache/kafka-warden), the
# control plane, Kafka, lint, then every Jest project. A tier that cannot run fails; nothing is
# skipped. Every tool a test reaches for is installed here: CI reuses a machine's caches, so a tool
# left there by a benchmark would hide a missing step (the chart tier and the kustomize benchmark
# check need kustomize).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== dependencies"
npm ci --no-audit --no-fund
echo "== tools"
bash scripts/install-tools.sh helm3 helm4 kustomize
# etcd, kube-apiserver, kube-controller-manager from the Go module proxy (cached; ~6-10 min cold).
bash scripts/install-control-plane.sh
# Kafka 2.7.2 and 3.9.1, ZooKeeper and the JMX exporter from Maven Central (cached; ~30 s cold).
bash scripts/install-kafka.sh
echo "== lint"
npm run lint
echo "== tests"
npm test -- --ci
