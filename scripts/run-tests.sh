#!/usr/bin/env bash
# Runs every test (`make test`) as two pytest sessions side by side. Most of the suite waits on servers
# (zot, Keycloak, authentik, booted hosts), so one session leaves the two cores half idle. The split
# follows the services: the tests on booted hosts (the server role, the fleet, the replica sets: they
# share the hosts, S3, Redis and HAProxy) and the rest (the identity providers, the browser, packaging,
# units). Each session starts only the services its tests use, once.
# With arguments: one pytest session with them (a developer's selection, e.g. `make test PYTEST_ARGS=-x`).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
pytest=.venv/bin/pytest
hosts_part=(tests/integration/server tests/integration/fleet tests/integration/scale_out)

if [ $# -gt 0 ]; then
  exec "$pytest" "$@"
fi

mkdir -p tests/output
log=tests/output/test-hosts.log
"$pytest" "${hosts_part[@]}" >"$log" 2>&1 &
hosts_pid=$!
trap 'kill "$hosts_pid" 2>/dev/null' INT TERM
ignores=()
for dir in "${hosts_part[@]}"; do ignores+=("--ignore=$dir"); done
"$pytest" "${ignores[@]}"
main_rc=$?
echo "==> waiting for the tests on booted hosts (${hosts_part[*]}; log: $log)"
wait "$hosts_pid"
hosts_rc=$?
cat "$log"
echo "==> tests on booted hosts: exit $hosts_rc; the other tests: exit $main_rc"
[ "$main_rc" -eq 0 ] && [ "$hosts_rc" -eq 0 ]
