#!/usr/bin/env bash
# Installs the local stand-ins for MongoDB and AWS that the tests and the embedded host use:
# FerretDB (MongoDB wire protocol on SQLite), local-kms, and moto's server (STS and IAM).
# Idempotent: binaries are built once per machine into a shared cache and copied into the
# project's .tools/ folder, so a fresh clone on the same machine reuses them in seconds.
#
# Usage: scripts/install-tools.sh [ferretdb] [local-kms] [moto] [chromium]   (default: all)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/.tools"
cache="${BYOK_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/byok-harness}"
mkdir -p "$tools/bin" "$cache"

ferretdb_version=v1.24.2
local_kms_version=latest

log() { printf '[install-tools] %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || {
    log "$1 is required to install $2 but was not found on PATH"
    exit 1
  }
}

# go_tool NAME MODULE VERSION: builds MODULE@VERSION once into the machine cache.
go_tool() {
  local name=$1 module=$2 version=$3
  local cached="$cache/go/$name@$version"
  if [ ! -x "$cached/$name" ]; then
    need go "$name"
    log "building $name $version from the Go module proxy (first time on this machine)"
    mkdir -p "$cached"
    GOBIN="$cached" CGO_ENABLED=0 go install "$module@$version"
    # `go install` names the binary after the module's last path element.
    local built
    built=$(basename "$module")
    [ "$built" = "$name" ] || mv "$cached/$built" "$cached/$name"
  fi
  if ! cmp -s "$cached/$name" "$tools/bin/$name"; then
    cp "$cached/$name" "$tools/bin/$name.tmp" && mv "$tools/bin/$name.tmp" "$tools/bin/$name"
  fi
}

# FerretDB's `go install` binary panics at start: its build/version/version.txt is generated at
# release time and is not part of the module. So build from a copy of the module with that
# file written in; the result is the same program at the same version.
install_ferretdb() {
  local cached="$cache/go/ferretdb@$ferretdb_version"
  if [ ! -x "$cached/ferretdb" ]; then
    need go ferretdb
    log "building ferretdb $ferretdb_version from the Go module proxy (first time on this machine)"
    local src work
    src=$(go mod download -json "github.com/FerretDB/FerretDB@$ferretdb_version" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    work=$(mktemp -d)
    cp -r "$src/." "$work/"
    chmod -R u+w "$work"
    echo "$ferretdb_version" >"$work/build/version/version.txt"
    mkdir -p "$cached"
    (cd "$work" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -o "$cached/ferretdb.tmp" ./cmd/ferretdb)
    mv "$cached/ferretdb.tmp" "$cached/ferretdb"
    rm -rf "$work"
  fi
  if ! cmp -s "$cached/ferretdb" "$tools/bin/ferretdb"; then
    cp "$cached/ferretdb" "$tools/bin/ferretdb.tmp" && mv "$tools/bin/ferretdb.tmp" "$tools/bin/ferretdb"
  fi
}

install_moto() {
  local venv="$tools/venv"
  if [ -x "$venv/bin/moto_server" ]; then return; fi
  need python3 moto
  log "creating $venv with moto[server]"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'moto[server]'
}

install_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "chromium is missing: install Debian's chromium package (browser tests need /usr/bin/chromium)"
    exit 1
  fi
  log "installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ferretdb local-kms moto chromium)
for t in "${targets[@]}"; do
  case "$t" in
    ferretdb) install_ferretdb ;;
    local-kms) go_tool local-kms github.com/nsmithuk/local-kms "$local_kms_version" ;;
    moto) install_moto ;;
    chromium) install_chromium ;;
    *) log "unknown tool '$t' (expected ferretdb, local-kms, moto or chromium)"; exit 2 ;;
  esac
done
