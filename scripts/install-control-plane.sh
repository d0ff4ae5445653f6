#!/usr/bin/env bash
# Builds a real Kubernetes control plane (no kubelet, no scheduler, no Docker) for kafka-warden's
# cluster tests, from the Go module proxy only (no prebuilt downloads), into the per-user cache
# scripts/install-tools.sh uses:
#
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/etcd                     etcd server
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/kube-apiserver           Kubernetes API server
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/kube-controller-manager  controllers
#
# Usage: scripts/install-control-plane.sh [etcd] [kube-apiserver] [kube-controller-manager]
#                                                              (default: all three)
#        scripts/install-control-plane.sh --update-wrappers    (after changing a pin below)
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces ~30 staging modules (k8s.io/api,
# k8s.io/client-go, ...) with local paths. scripts/control-plane/kubernetes is a wrapper module that
# requires k8s.io/kubernetes at the pin and replaces every staging module it requires with the
# matching published v0.Y.Z; scripts/control-plane/etcd is a wrapper main around
# go.etcd.io/etcd/server/v3/etcdmain. Both go.mod and go.sum are committed and the build runs with
# -mod=readonly, so the dependency graph is fixed and checksum-verified. --update-wrappers rewrites
# them for the pins below (it needs the module proxy); commit the result.
#
# Each binary has a stamp bin/<tool>.version holding "<version> <hash of its wrapper files>"; a
# binary is rebuilt only when it is missing or its stamp differs, so a warm run does no Go work.
# The Go module and build caches live under the tools dir (go/mod, go/build), as for
# install-tools.sh. Prints one line per tool: "<tool> <path> <version> (<cached|built in Ns>)".
set -euo pipefail
shopt -s inherit_errexit

# Kubernetes v1.34.12: the newest 1.32.x-1.34.x on the module proxy (2026-09); its go.mod says
# go 1.25.0, so Go >= 1.25 builds it.
KUBERNETES_VERSION=v1.34.12
# The etcd server Kubernetes v1.34 pins for its own integration tests and kubeadm
# (hack/lib/etcd.sh ETCD_VERSION, kubeadm DefaultEtcdVersion 3.6.5-0).
ETCD_VERSION=v3.6.5

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WRAPPERS=$REPO_ROOT/scripts/control-plane
TOOLS_DIR=${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}
BIN_DIR=$TOOLS_DIR/bin

die() {
  echo "install-control-plane: error: $*" >&2
  exit 1
}

wrapper_of() {
  case $1 in
    etcd) echo "$WRAPPERS/etcd" ;;
    kube-apiserver | kube-controller-manager) echo "$WRAPPERS/kubernetes" ;;
    *) die "unknown tool '$1' (expected: etcd, kube-apiserver, kube-controller-manager)" ;;
  esac
}

pinned_version() {
  case $1 in
    etcd) echo "$ETCD_VERSION" ;;
    kube-apiserver | kube-controller-manager) echo "$KUBERNETES_VERSION" ;;
    *) die "unknown tool '$1' (expected: etcd, kube-apiserver, kube-controller-manager)" ;;
  esac
}

# "<version> <sha256 of the wrapper's go.mod, go.sum and *.go>": any edit to a wrapper rebuilds.
stamp_of() { # tool
  local dir hash
  dir=$(wrapper_of "$1")
  [[ -f $dir/go.mod && -f $dir/go.sum ]] ||
    die "wrapper module $dir (go.mod, go.sum) is missing; run $0 --update-wrappers"
  hash=$(cd "$dir" && cat go.mod go.sum $(ls ./*.go 2>/dev/null) | sha256sum | cut -c1-16)
  echo "$(pinned_version "$1") $hash"
}

is_current() { # tool stamp
  [[ -x $BIN_DIR/$1 && -f $BIN_DIR/$1.version ]] &&
    [[ $(<"$BIN_DIR/$1.version") == "$2" ]]
}

go_env_ready=
setup_go() {
  [[ -n $go_env_ready ]] && return 0
  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH; install Go >= 1.25 (Kubernetes ${KUBERNETES_VERSION}'s go.mod says go 1.25.0; an older go with GOTOOLCHAIN=auto fetches a newer toolchain from the module proxy)"
  export GOPATH=$TOOLS_DIR/go
  export GOMODCACHE=$TOOLS_DIR/go/mod
  export GOCACHE=$TOOLS_DIR/go/build
  # -modcacherw: a plain rm -rf can delete the module cache. -mod=readonly: the committed
  # go.mod/go.sum are the whole truth. -buildvcs=false: the wrappers live in this repository,
  # whose git state must not leak into the binaries.
  export GOFLAGS="-trimpath -modcacherw -mod=readonly -buildvcs=false"
  export CGO_ENABLED=0
  export GOWORK=off
  mkdir -p "$BIN_DIR" "$GOMODCACHE" "$GOCACHE"
  go_env_ready=1
}

# Module metadata from the proxy, cached in GOMODCACHE: prints the .info and .mod paths.
mod_files() { # module version
  local json
  if ! json=$(cd "$TOOLS_DIR" && go mod download -json "$1@$2"); then
    echo "$json" >&2
    die "cannot download $1@$2 from the Go module proxy"
  fi
  sed -n -E 's/^\s*"(Info|GoMod)": "(.*)",?$/\2/p' <<<"$json"
}

# Version ldflags as hack/lib/version.sh sets them, so /version and the emulation version report
# the pin. buildDate is the release's publication time (reproducible builds); gitCommit is set
# only when the proxy reports the origin commit.
kube_ldflags() { # version
  local version=$1 files info gomod commit date major minor flags="-s -w" pkg
  files=$(mod_files k8s.io/kubernetes "$version")
  { read -r info; read -r gomod; } <<<"$files"
  [[ -f $info ]] || die "go mod download gave no .info file for k8s.io/kubernetes@$version"
  commit=$(tr -d ' \n\t' <"$info" | sed -n -E 's/.*"Hash":"([0-9a-f]{40})".*/\1/p')
  date=$(tr -d ' \n\t' <"$info" | sed -n -E 's/.*"Time":"([0-9T:-]+)(\.[0-9]+)?Z".*/\1Z/p')
  [[ $version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "bad Kubernetes version '$version'"
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean"
    [[ -n $date ]] && flags+=" -X $pkg.buildDate=$date"
    [[ -n $commit ]] && flags+=" -X $pkg.gitCommit=$commit"
  done
  echo "$flags"
}

etcd_ldflags() { # version
  local version=$1 files info commit flags="-s -w"
  files=$(mod_files go.etcd.io/etcd/server/v3 "$version")
  { read -r info; read -r _; } <<<"$files"
  commit=$(tr -d ' \n\t' <"$info" | sed -n -E 's/.*"Hash":"([0-9a-f]{40})".*/\1/p')
  [[ -n $commit ]] && flags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:9}"
  echo "$flags"
}

build() { # tool stamp
  local tool=$1 stamp=$2 version dir pkg ldflags tmp start rc=0
  setup_go
  version=$(pinned_version "$tool")
  dir=$(wrapper_of "$tool")
  local want
  case $tool in
    etcd) pkg=. want="go.etcd.io/etcd/server/v3 $version" ;;
    *) pkg=k8s.io/kubernetes/cmd/$tool want="k8s.io/kubernetes $version" ;;
  esac
  grep -qE "^\s*(require\s+)?${want//./\\.}(\s|$)" "$dir/go.mod" ||
    die "$dir/go.mod does not require $want (the pin in $0); run $0 --update-wrappers and commit the result"
  case $tool in
    etcd) ldflags=$(etcd_ldflags "$version") ;;
    *) ldflags=$(kube_ldflags "$version") ;;
  esac
  echo "install-control-plane: building $tool ($version), this takes many minutes on a cold cache..." >&2
  start=$SECONDS
  # Build into a temp dir beside the target, then rename: atomic, so a concurrent user never
  # sees a half-written binary.
  tmp=$(mktemp -d "$BIN_DIR/.build-$tool.XXXXXX")
  (cd "$dir" && go build -ldflags "$ldflags" -o "$tmp/$tool" "$pkg") || rc=$?
  if ((rc != 0)) || [[ ! -x $tmp/$tool ]]; then
    rm -rf "$tmp"
    die "building $tool failed: 'go build $pkg' in $dir exited $rc (see the go output above)"
  fi
  mv -f "$tmp/$tool" "$BIN_DIR/$tool"
  echo "$stamp" >"$tmp/stamp"
  mv -f "$tmp/stamp" "$BIN_DIR/$tool.version"
  rm -rf "$tmp"
  built_secs=$((SECONDS - start))
}

# Rewrites both wrapper modules for the pins above and resolves their go.sum from the proxy.
update_wrappers() {
  setup_go
  export GOFLAGS="-modcacherw -buildvcs=false" # tidy must be allowed to write go.mod/go.sum
  local files gomod staging kminor mod
  files=$(mod_files k8s.io/kubernetes "$KUBERNETES_VERSION")
  { read -r _; read -r gomod; } <<<"$files"
  # Staging modules = those k8s.io/kubernetes both requires and replaces with ./staging/... (the
  # replaced-but-unrequired sample-cli-plugin and sample-controller are never in the graph).
  staging=$(sed -n -E 's/^\s*(k8s\.io\/[a-z0-9-]+) => \.\/staging\/.*/\1/p' "$gomod")
  [[ -n $staging ]] || die "no staging replaces found in $gomod"
  kminor=v0.${KUBERNETES_VERSION#v1.}
  mkdir -p "$WRAPPERS/kubernetes"
  {
    echo "// Generated by scripts/install-control-plane.sh --update-wrappers; do not edit."
    echo "// Builds k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager} $KUBERNETES_VERSION:"
    echo "// each staging module k8s.io/kubernetes replaces with ./staging/... is replaced here with"
    echo "// its published $kminor."
    echo "module kafka-warden.local/control-plane/kubernetes"
    echo
    sed -n -E '/^go [0-9.]+$/p; /^godebug /p' "$gomod"
    echo
    echo "tool ("
    echo "	k8s.io/kubernetes/cmd/kube-apiserver"
    echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
    echo ")"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    for mod in $staging; do
      grep -qE "^\s*${mod//./\\.} v0\.0\.0" "$gomod" && echo "	$mod => $mod $kminor"
    done
    echo ")"
  } >"$WRAPPERS/kubernetes/go.mod"
  rm -f "$WRAPPERS/kubernetes/go.sum"
  (cd "$WRAPPERS/kubernetes" && go mod tidy) || die "go mod tidy failed in $WRAPPERS/kubernetes"

  mkdir -p "$WRAPPERS/etcd"
  [[ -f $WRAPPERS/etcd/main.go ]] || die "$WRAPPERS/etcd/main.go is missing"
  {
    echo "// Generated by scripts/install-control-plane.sh --update-wrappers; do not edit."
    echo "// Builds the etcd server $ETCD_VERSION from go.etcd.io/etcd/server/v3/etcdmain."
    echo "module kafka-warden.local/control-plane/etcd"
    echo
    echo "go 1.24"
    echo
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
  } >"$WRAPPERS/etcd/go.mod"
  rm -f "$WRAPPERS/etcd/go.sum"
  (cd "$WRAPPERS/etcd" && go mod tidy) || die "go mod tidy failed in $WRAPPERS/etcd"
  echo "install-control-plane: wrappers updated for kubernetes $KUBERNETES_VERSION, etcd $ETCD_VERSION; commit scripts/control-plane/*/go.{mod,sum}" >&2
}

if [[ ${1-} == --update-wrappers ]]; then
  (($# == 1)) || die "--update-wrappers takes no other arguments"
  update_wrappers
  exit 0
fi

tools=("$@")
((${#tools[@]})) || tools=(etcd kube-apiserver kube-controller-manager)

for tool in "${tools[@]}"; do pinned_version "$tool" >/dev/null; done # reject typos up front
for tool in "${tools[@]}"; do
  stamp=$(stamp_of "$tool")
  if is_current "$tool" "$stamp"; then
    echo "$tool $BIN_DIR/$tool $(pinned_version "$tool") (cached)"
  else
    build "$tool" "$stamp"
    echo "$tool $BIN_DIR/$tool $(pinned_version "$tool") (built in ${built_secs}s)"
  fi
done
