#!/usr/bin/env bash
# Fetches the JVM programs of the real-Kafka tier (test/e2e/kafka, docs/kafka-e2e.md) from Maven
# Central with Maven, into a per-user cache:
#
#   ${KW_KAFKA_CACHE:-$HOME/.cache/kafka-warden/kafka}/<version>/libs/*.jar   Kafka + ZooKeeper class path
#   ${KW_KAFKA_CACHE:-$HOME/.cache/kafka-warden/kafka}/jmx-exporter/jmx_prometheus_httpserver.jar
#
# Usage: scripts/install-kafka.sh [2.7.2] [3.9.1] [jmx-exporter]   (default: all three)
#
# What is fetched is the runtime class path of a small pom kept in scripts/kafka/. A directory is
# current when its stamp file holds the sha256 of that pom, so a warm run does no Maven work; a
# changed pom refetches. Downloads land in the cache's own Maven repository (m2/), and each
# directory is assembled beside its final place and renamed in, so an interrupted run never leaves
# half a class path that looks complete. Then each Kafka version is started once under this JVM
# (`kafka.Kafka --version`): a class path that cannot run fails here, not in the tests.
# Prints one line per item: "<item> <path> (<cached|fetched in Ns>)".
set -euo pipefail
shopt -s inherit_errexit

cd "$(dirname "$0")/.."
POM_DIR=$PWD/scripts/kafka
CACHE=${KW_KAFKA_CACHE:-$HOME/.cache/kafka-warden/kafka}
MAVEN_REPO=$CACHE/m2

die() {
  echo "install-kafka: error: $*" >&2
  exit 1
}

command -v mvn >/dev/null 2>&1 || die "'mvn' not found on PATH (apt-get install maven)"
command -v java >/dev/null 2>&1 || die "'java' not found on PATH: the Kafka tier needs a JDK 17 (apt-get install openjdk-17-jdk-headless)"

pom_for() {
  case $1 in
    2.7.2 | 3.9.1) echo "$POM_DIR/pom-$1.xml" ;;
    jmx-exporter) echo "$POM_DIR/pom-jmx-exporter.xml" ;;
    *) die "unknown item '$1' (expected: 2.7.2, 3.9.1, jmx-exporter)" ;;
  esac
}

target_for() {
  case $1 in
    jmx-exporter) echo "$CACHE/jmx-exporter" ;;
    *) echo "$CACHE/$1/libs" ;;
  esac
}

is_current() { # target pom
  [[ -f $1/.pom-sha256 && $(<"$1/.pom-sha256") == "$(sha256sum "$2" | cut -d' ' -f1)" ]]
}

fetch() { # item
  local item=$1 pom target work started log
  pom=$(pom_for "$item")
  target=$(target_for "$item")
  if is_current "$target" "$pom"; then
    echo "$item $target (cached)"
    return 0
  fi
  started=$SECONDS
  mkdir -p "$(dirname "$target")" "$MAVEN_REPO"
  work=$(mktemp -d "$(dirname "$target")/.fetch-XXXXXX")
  log=$work.log
  # -B: no progress bars in CI logs. The poms name no repository: Maven Central, the super-POM's
  # default (or the mirror a user's settings.xml puts in front of it).
  if ! mvn -B -q -f "$pom" \
    -Dmaven.repo.local="$MAVEN_REPO" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work" >"$log" 2>&1; then
    cat "$log" >&2
    rm -rf "$work" "$log"
    die "Maven could not fetch the dependencies of $pom (from Maven Central, https://repo1.maven.org/maven2)"
  fi
  rm -f "$log"
  if [[ $item == jmx-exporter ]]; then
    local jar
    jar=$(find "$work" -maxdepth 1 -name 'jmx_prometheus_httpserver-*.jar' | head -n1)
    [[ -n $jar ]] || die "no jmx_prometheus_httpserver jar in the Maven output"
    # The name the chart's sidecar command uses.
    mv "$jar" "$work/jmx_prometheus_httpserver.jar"
  else
    compgen -G "$work/kafka_2.13-$item.jar" >/dev/null || die "kafka_2.13-$item.jar missing from the Maven output"
    compgen -G "$work/zookeeper-*.jar" >/dev/null || die "no zookeeper jar in the Maven output for Kafka $item"
  fi
  sha256sum "$pom" | cut -d' ' -f1 >"$work/.pom-sha256"
  rm -rf "$target"
  mv "$work" "$target"
  echo "$item $target (fetched in $((SECONDS - started))s, $(find "$target" -name '*.jar' | wc -l) jars)"
}

check_runs() { # version
  local libs out err
  libs=$(target_for "$1")
  err=$(mktemp)
  # A tool's --version loads Kafka's core and client classes (Scala runtime included) and prints
  # the version from the jars; stderr holds only log4j's "no configuration" notice unless it fails.
  if ! out=$(java -cp "$libs/*" kafka.admin.BrokerApiVersionsCommand --version 2>"$err"); then
    cat "$err" >&2
    rm -f "$err"
    die "Kafka $1 does not run on $(java -version 2>&1 | head -n1)"
  fi
  rm -f "$err"
  [[ $out == *"$1"* ]] || die "Kafka $1's class path reports version '$out'"
  echo "$1 runs on $(java -version 2>&1 | head -n1): $out"
}

items=("$@")
[[ ${#items[@]} -gt 0 ]] || items=(2.7.2 3.9.1 jmx-exporter)
for item in "${items[@]}"; do fetch "$item"; done
for item in "${items[@]}"; do
  [[ $item == jmx-exporter ]] || check_runs "$item"
done
