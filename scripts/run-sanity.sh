#!/usr/bin/env bash
# Runs `ansible-test sanity` (every test that needs no container) on a copy of the collection
# laid out as ansible_collections/zotops/zot, which ansible-test requires.
# ansible-test gets a virtualenv of its own (only ansible-core, as ansible-test expects) and
# builds one per sanity test under ~/.ansible/test/venv, cached between runs.
# ZOTOPS_ANSIBLE_CORE=<version> runs another release's ansible-test (default: the pin in
# tests/requirements.txt) on a controller Python that release supports (scripts/find-python.sh).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${ZOTOPS_CACHE:-$HOME/.cache/zotops-zot}
# shellcheck source=../tests/versions.env
source "$repo/tests/versions.env"
# shellcheck source=find-python.sh
source "$repo/scripts/find-python.sh"
core=${ZOTOPS_ANSIBLE_CORE:-$(sed -n 's/^ansible-core==//p' "$repo/tests/requirements.txt")}
python=${ZOTOPS_PYTHON:-$(find_python "$core")}
python_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

venv="$cache/ansible-test-$core-py$python_version"
if [ ! -e "$venv/.complete" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$core"
  touch "$venv/.complete"
fi

# ansible-test bootstraps pip from a host outside the package registries; serve it from PyPI.
mkdir -p "$HOME/.ansible/test/cache"
grep -ohE "pip='[0-9.]+'" "$venv"/lib/python*/site-packages/ansible_test/_internal/python_requirements.py |
  grep -oE "[0-9.]+" | sort -u | while read -r version; do
    cp "$repo/tests/sanity/get_pip_from_pypi.py" "$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
  done

# Outside the repository: inside it, ansible-test would list files with the outer git and skip all.
work=$(mktemp -d "${TMPDIR:-/tmp}/zotops-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/zotops/zot"
mkdir -p "$tree"
(cd "$repo" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -xf - -C "$tree"
cd "$tree"
"$venv/bin/ansible-test" sanity --requirements --python "$python_version" --color no "$@"
