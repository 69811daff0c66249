#!/usr/bin/env bash
# Generate the reference pages (every module, filter and role of zotops.zot) from the sources
# into docs/reference/, with antsibull-docs reading this checkout through the same
# ansible_collections/zotops/zot tree the tests use.
#
#   scripts/build-docs.sh                  # regenerate docs/reference/
#   scripts/build-docs.sh --dest DIR       # write somewhere else (the docs test uses a temp dir)
#   scripts/build-docs.sh --allow-errors   # still write pages when a plugin's documentation is
#                                          # missing or invalid (antsibull-docs writes an error page)
#
# The output is antsibull-docs' "simplified-rst" format: plain reStructuredText that GitHub renders
# (option tables are HTML blocks, which GitHub keeps). No timestamps and no antsibull-docs version
# are written, so the same sources always give the same bytes; tests/integration/packaging/
# test_docs_current.py regenerates into a temp dir and compares with the committed pages.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ZOTOPS_VENV:-$REPO/.venv}"
DEST="$REPO/docs/reference"
STRICT=1

while [ $# -gt 0 ]; do
    case "$1" in
        --dest) DEST="$2"; shift 2 ;;
        --dest=*) DEST="${1#--dest=}"; shift ;;
        --allow-errors) STRICT=0; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-docs.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

for tool in python antsibull-docs ansible-doc; do
    if [ ! -x "$VENV/bin/$tool" ]; then
        echo "build-docs.sh: $VENV/bin/$tool is missing; run scripts/setup-dev-env.sh first" >&2
        exit 1
    fi
done

# tests/output/collections/ansible_collections/zotops/zot -> this checkout
COLLECTIONS="$(cd "$REPO" && "$VENV/bin/python" -c \
    "import sys; sys.path.insert(0, 'tests'); from integration.harness.ansible import collection_tree; print(collection_tree())")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/zotops-docs.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -m 0700 "$WORK/out"

args=(collection --use-current --squash-hierarchy --output-format simplified-rst
      --no-add-antsibull-docs-version --dest-dir "$WORK/out")
if [ "$STRICT" = 1 ]; then args+=(--fail-on-error); fi

# antsibull-docs runs `ansible-doc` and friends from PATH; only this checkout may answer for zotops.zot.
if ! env PATH="$VENV/bin:$PATH" \
        ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS" \
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false \
        ANSIBLE_NOCOLOR=1 \
        "$VENV/bin/antsibull-docs" "${args[@]}" zotops.zot >"$WORK/log" 2>&1; then
    grep -v '^ ' "$WORK/log" | grep -v '^Traceback' | tail -n 40 >&2
    if [ "$STRICT" = 1 ] && grep -q 'Found errors in some modules or plugins' "$WORK/log"; then
        echo "build-docs.sh: the plugins above have missing or invalid documentation; fix them" \
             "(or pass --allow-errors to write error pages for them)" >&2
    fi
    exit 1
fi

# Error pages name the absolute path of the plugin file; keep them machine-independent.
{ grep -rl --null -F "$COLLECTIONS/ansible_collections/zotops/zot/" "$WORK/out" || true; } \
    | xargs -0 -r sed -i "s|$COLLECTIONS/ansible_collections/zotops/zot/||g"

mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
cp -R "$WORK/out" "$DEST"
chmod 0755 "$DEST"
echo "build-docs.sh: wrote $(find "$DEST" -type f | wc -l) pages to $DEST"
