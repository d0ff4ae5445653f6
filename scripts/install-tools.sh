#!/usr/bin/env bash
# Builds the pinned external tools kafka-warden's tests and benchmarks use, from
# the Go module proxy only (no prebuilt downloads), into a per-user cache:
#
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/helm3      Helm 3
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/helm4      Helm 4
#   ${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}/bin/kustomize  kustomize (benchmark only)
#
# Usage: scripts/install-tools.sh [helm3] [helm4] [kustomize]   (default: all three)
#
# Each binary has a stamp file bin/<tool>.version holding the pinned version; a
# tool is rebuilt only when its binary is missing or its stamp differs, so a
# warm run does no Go work at all. The Go module and build caches live under
# the same tools dir (go/mod, go/build), so CI reruns are warm too.
# Override a pin with KW_HELM3_VERSION / KW_HELM4_VERSION / KW_KUSTOMIZE_VERSION.
# Prints one line per tool: "<tool> <path> <version> (<cached|built in Ns>)".
set -euo pipefail
shopt -s inherit_errexit

# Helm v3.17.2 is the version that made shared/cp-helm-charts/rendered/*;
# Helm v4.1.4 renders them byte-identically.
HELM3_VERSION=${KW_HELM3_VERSION:-v3.17.2}
HELM4_VERSION=${KW_HELM4_VERSION:-v4.1.4}
# v5.8.1 needs go >= 1.24 (v5.8.2 needs 1.26, v5.8.3 needs 1.27).
KUSTOMIZE_VERSION=${KW_KUSTOMIZE_VERSION:-v5.8.1}

TOOLS_DIR=${KW_TOOLS_DIR:-$HOME/.cache/kafka-warden/tools}
BIN_DIR=$TOOLS_DIR/bin

die() {
  echo "install-tools: error: $*" >&2
  exit 1
}

pinned_version() {
  case $1 in
    helm3) echo "$HELM3_VERSION" ;;
    helm4) echo "$HELM4_VERSION" ;;
    kustomize) echo "$KUSTOMIZE_VERSION" ;;
    *) die "unknown tool '$1' (expected: helm3, helm4, kustomize)" ;;
  esac
}

is_current() { # tool version
  [[ -x $BIN_DIR/$1 && -f $BIN_DIR/$1.version ]] &&
    [[ $(<"$BIN_DIR/$1.version") == "$2" ]]
}

go_env_ready=
setup_go() {
  [[ -n $go_env_ready ]] && return 0
  command -v go >/dev/null 2>&1 ||
    die "'go' not found on PATH; install Go >= 1.24 (Helm 4 needs >= 1.25, or leave GOTOOLCHAIN=auto so go fetches one from the module proxy)"
  export GOPATH=$TOOLS_DIR/go
  export GOMODCACHE=$TOOLS_DIR/go/mod
  export GOCACHE=$TOOLS_DIR/go/build
  # -modcacherw: leave the module cache deletable with a plain rm -rf.
  export GOFLAGS="-trimpath -modcacherw"
  export CGO_ENABLED=0
  mkdir -p "$BIN_DIR" "$GOMODCACHE" "$GOCACHE"
  go_env_ready=1
}

# Module metadata from the proxy, cached in GOMODCACHE: prints the .info and
# .mod file paths of module@version.
mod_files() { # module version
  local json
  if ! json=$(cd "$TOOLS_DIR" && go mod download -json "$1@$2"); then
    echo "$json" >&2
    die "cannot download $1@$2 from the Go module proxy"
  fi
  sed -n -E 's/^\s*"(Info|GoMod)": "(.*)",?$/\2/p' <<<"$json"
}

# Ldflags mirroring Helm's own Makefile: version, git commit, clean tree, and
# the default Kubernetes version (.Capabilities.KubeVersion in `helm template`)
# derived from the client-go version in go.mod.
helm_ldflags() { # major version
  local major=$1 version=$2 mod=helm.sh/helm/$1 files info gomod commit kver kmaj kmin
  files=$(mod_files "$mod" "$version")
  { read -r info; read -r gomod; } <<<"$files"
  [[ -f $info && -f $gomod ]] || die "go mod download gave no .info/.mod file for $mod@$version"
  commit=$(sed -n -E 's/.*"Hash":"([0-9a-f]+)".*/\1/p' "$info")
  local flags="-s -w -X $mod/internal/version.version=$version -X $mod/internal/version.metadata="
  flags+=" -X $mod/internal/version.gitCommit=$commit -X $mod/internal/version.gitTreeState=clean"
  if [[ $major == v3 ]]; then
    # Helm 4 reads the client-go version from its build info at run time.
    kver=$(sed -n -E 's/^\s*k8s\.io\/client-go v0\.([0-9]+)\.[0-9]+.*/\1/p' "$gomod")
    [[ -n $kver ]] || die "cannot find the k8s.io/client-go version in $gomod"
    kmaj=1 kmin=$kver
    flags+=" -X $mod/pkg/lint/rules.k8sVersionMajor=$kmaj -X $mod/pkg/lint/rules.k8sVersionMinor=$kmin"
    flags+=" -X $mod/pkg/chartutil.k8sVersionMajor=$kmaj -X $mod/pkg/chartutil.k8sVersionMinor=$kmin"
  fi
  echo "$flags"
}

build() { # tool version
  local tool=$1 version=$2 pkg ldflags exe tmp start rc=0
  setup_go
  case $tool in
    helm3) pkg=helm.sh/helm/v3/cmd/helm exe=helm ldflags=$(helm_ldflags v3 "$version") ;;
    helm4) pkg=helm.sh/helm/v4/cmd/helm exe=helm ldflags=$(helm_ldflags v4 "$version") ;;
    kustomize) pkg=sigs.k8s.io/kustomize/kustomize/v5 exe=kustomize ldflags="-s -w" ;;
  esac
  echo "install-tools: building $tool ($pkg@$version), this takes minutes on a cold cache..." >&2
  start=$SECONDS
  # Install into a temp dir beside the target, then rename: the rename is atomic,
  # so a concurrent user never sees a half-written binary.
  tmp=$(mktemp -d "$BIN_DIR/.build-$tool.XXXXXX")
  (cd "$tmp" && GOBIN=$tmp go install -ldflags "$ldflags" "$pkg@$version") || rc=$?
  if ((rc != 0)) || [[ ! -x $tmp/$exe ]]; then
    rm -rf "$tmp"
    die "building $tool failed: 'go install $pkg@$version' exited $rc (see the go output above)"
  fi
  mv -f "$tmp/$exe" "$BIN_DIR/$tool"
  echo "$version" >"$tmp/stamp"
  mv -f "$tmp/stamp" "$BIN_DIR/$tool.version"
  rm -rf "$tmp"
  built_secs=$((SECONDS - start))
}

tools=("$@")
((${#tools[@]})) || tools=(helm3 helm4 kustomize)

for tool in "${tools[@]}"; do pinned_version "$tool" >/dev/null; done # reject typos up front
for tool in "${tools[@]}"; do
  version=$(pinned_version "$tool")
  if is_current "$tool" "$version"; then
    echo "$tool $BIN_DIR/$tool $version (cached)"
  else
    build "$tool" "$version"
    echo "$tool $BIN_DIR/$tool $version (built in ${built_secs}s)"
  fi
done
