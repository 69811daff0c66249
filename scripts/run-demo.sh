#!/usr/bin/env bash
# `make demo`: install a local demo zot registry on this machine with zotops.zot.server
# (loopback port 5050, htpasswd users, three access tiers) and print the verification table.
# Run after scripts/setup-dev-env.sh, which builds zot and records where in harness.env.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${ZOTOPS_CACHE:-$HOME/.cache/zotops-zot}
# shellcheck disable=SC1091
source "$cache/harness.env"

zot_bin=${ZOT_BINARY:-$ZOTOPS_ZOT_BIN}
if [ ! -x "$zot_bin" ]; then
  echo "make demo: no zot binary to install: $(tail -n 1 "$ZOTOPS_ZOT_ERROR" 2>/dev/null || echo "run scripts/setup-dev-env.sh")" >&2
  echo "make demo: give one with ZOT_BINARY=/path/to/zot make demo" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zotops-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ZOTOPS_ZOT_BIN=$zot_bin
if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then
  # No systemd as PID 1 here: docker-systemctl-replacement runs the role's real unit file.
  mkdir -p "$work/bin" && ln -s "$ZOTOPS_VENV/bin/systemctl3.py" "$work/bin/systemctl"
  export PATH="$work/bin:$PATH" ZOTOPS_SERVICE_MANAGER=systemd
fi
"$ZOTOPS_VENV/bin/python" - "$repo" <<'PY'
import sys
sys.path.insert(0, sys.argv[1] + "/tests")
from integration.harness.ansible import collection_tree
collection_tree()
PY
export ANSIBLE_COLLECTIONS_PATH="$repo/tests/output/collections"
cd "$work"
exec "$ZOTOPS_VENV/bin/ansible-playbook" -i localhost, -c local \
  -e "ansible_python_interpreter=$ZOTOPS_VENV/bin/python" "$repo/playbooks/demo.yml" "$@"
