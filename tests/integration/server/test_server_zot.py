"""zotops.zot.server against the real zot on booted Debian hosts: the issue's checklist, as a user
would notice it.

Each host (tests/integration/harness/hosts.py) runs systemd as its PID 1, which enforces the unit's
sandboxing; Ansible reaches it over SSH as an unprivileged user with become. The role downloads zot on
the controller from the harness's release mirror (the real download + checksum path), copies it to the
host and writes its files at its default paths. Every test skips, with the harness's exact reason,
where zot or the hosts are not available (ZOTOPS_REQUIRE_ZOT=1 / ZOTOPS_REQUIRE_HOSTS=1 make that a
failure).
"""
import json
import os
import platform
import re
import socket
import subprocess
import time

import pytest
import requests

pytestmark = [pytest.mark.zot, pytest.mark.slow]

USERS = {"admin": "admin-Pass-1", "ci": "ci-Pass-1", "reader": "reader-Pass-1"}
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# The seeds' three tiers: anonymous read; artifact-workloads read+create (push new tags only);
# admins everything.
THREE_TIERS = {
    "groups": {"artifact-workloads": {"users": ["ci"]}, "admins": {"users": ["admin"]}},
    "repositories": {"**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"],
                            "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]}},
    "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]},
}
SECRETS = list(USERS.values()) + ["ci-Pass-2"]


def tiers_vars():
    return {"zot_htpasswd_users": [{"name": n, "password": p} for n, p in USERS.items()],
            "zot_access_control": THREE_TIERS}


@pytest.fixture(scope="module")
def tiers_host(zot_bin, converged_host_factory):
    """One zot converged with htpasswd users and the three tiers, shared by the read-only checks."""
    return converged_host_factory(**tiers_vars())


def push(skopeo_copy, image, host, ref, user=None):
    creds = f"{user}:{USERS[user]}" if user else None
    return skopeo_copy(image, f"docker://{host.address}:{host.port}/{ref}", creds=creds)


def put_manifest(host, repo, tag, manifest, auth=None):
    return requests.put(f"{host.url}/v2/{repo}/manifests/{tag}", data=manifest,
                        headers={"Content-Type": MANIFEST}, auth=auth, timeout=30)


def _role_files(host):
    """The host's snapshot without zot's own data (its metadata database changes as zot runs)."""
    return {k: v for k, v in host.snapshot().items() if not k.startswith(("data", "/var/lib/zot"))}


def test_anonymous_read_and_unauthenticated_push(tiers_host, oci_image, skopeo_copy):
    assert requests.get(f"{tiers_host.url}/v2/_catalog", timeout=10).status_code == 200
    # Nothing may be written without credentials: zot asks for them.
    upload = requests.post(f"{tiers_host.url}/v2/anon/app/blobs/uploads/", timeout=10)
    assert upload.status_code == 401
    pushed = push(skopeo_copy, oci_image, tiers_host, "anon/app:1")
    assert pushed.returncode != 0


def test_ci_pushes_new_tags_only_and_admin_overwrites_and_deletes(tiers_host, oci_image, skopeo_copy):
    first = push(skopeo_copy, oci_image, tiers_host, "team/app:1.0", user="ci")
    assert first.returncode == 0, first.stderr
    # Anyone can pull it.
    manifest = requests.get(f"{tiers_host.url}/v2/team/app/manifests/1.0", headers={"Accept": MANIFEST}, timeout=10)
    assert manifest.status_code == 200
    # The same tag again needs `update`, which CI does not have: tags are immutable for CI.
    again = put_manifest(tiers_host, "team/app", "1.0", manifest.content, auth=("ci", USERS["ci"]))
    assert again.status_code == 403, again.text
    # A new tag is fine.
    assert put_manifest(tiers_host, "team/app", "1.1", manifest.content, auth=("ci", USERS["ci"])).status_code == 201
    # An authenticated user without a tier only reads.
    assert put_manifest(tiers_host, "team/app", "1.2", manifest.content,
                        auth=("reader", USERS["reader"])).status_code == 403
    # Admins may overwrite and delete.
    assert put_manifest(tiers_host, "team/app", "1.0", manifest.content,
                        auth=("admin", USERS["admin"])).status_code == 201
    digest = manifest.headers["Docker-Content-Digest"]
    delete = requests.delete(f"{tiers_host.url}/v2/team/app/manifests/{digest}", auth=("admin", USERS["admin"]),
                             timeout=10)
    assert delete.status_code == 202, delete.text


@pytest.mark.ansible_range
def test_converge_twice_changes_nothing(tiers_host):
    result = tiers_host.run(**tiers_vars())
    assert result.rc == 0, str(result)
    assert result.changed == 0, str(result)


def test_install_dir_with_a_trailing_slash_changes_nothing(tiers_host):
    """zot_install_dir written with a trailing slash names the same directory: the binary, its SHA-256 record
    and zot_binary_path's link are found as they are, so the run changes nothing and downloads nothing."""
    before = tiers_host.snapshot()
    result = tiers_host.run(**dict(tiers_vars(), zot_install_dir="/usr/local/lib/zot/"))
    assert result.rc == 0 and result.changed == 0, str(result)
    assert tiers_host.snapshot() == before


NO_FACTS_PLAY = """- hosts: all
  gather_facts: false
  roles:
    - role: zotops.zot.server
  post_tasks:
    - name: Show the facts the role read
      ansible.builtin.debug:
        msg: "facts read: {{ ansible_facts['system'] }} {{ ansible_facts['architecture'] }} {{ ansible_facts['service_mgr'] }}"
"""


def test_a_play_without_facts_runs_one_module_call_and_changes_nothing(tiers_host, tmp_path):
    """gather_facts: false (as benchmarks/fleet.py runs it): no setup call of the role's own; its one module call
    reads the platform, service manager and user facts with the install, the run and its check mode change
    nothing on a host converged by a play with facts (the same binary, unit and files are found), and the play
    has the facts afterwards. The read is given every supported platform's binary, so it is never repeated: a
    host of a platform the role does not support (here the supported list is narrowed to another architecture)
    is refused after that one read, naming its platform, with nothing changed."""
    playbook = tmp_path / "no_facts.yml"
    playbook.write_text(NO_FACTS_PLAY)
    other = {"x86_64": "linux-arm64"}.get(platform.machine(), "linux-amd64")
    before = tiers_host.snapshot()
    for check, supported in ((False, None), (True, None), (False, [other])):
        overrides = {"_zot_platforms_supported": supported} if supported else {}
        result = tiers_host.run(playbook=playbook, check=check, verbosity=3, **tiers_vars(), **overrides)
        assert result.changed == 0, str(result)
        # At -vvv Ansible names each module it sends to the host (AnsiballZ_<module>.py) in each of its commands.
        sent = re.findall(r"PUT \S+ TO \S+/AnsiballZ_(\w+)\.py", result.stdout)
        assert sent == ["zot_install_state"], str(result)
        if supported:
            assert result.rc != 0, str(result)
            assert f"on Linux/{platform.machine()} (service manager found: systemd)" in result.stdout, str(result)
            assert "Nothing was changed." in result.stdout, str(result)
        else:
            assert result.rc == 0, str(result)
            # The hosts are containers on the controller's kernel: its machine is theirs.
            assert f"facts read: Linux {platform.machine()} systemd" in result.stdout, str(result)
        for secret in SECRETS:
            assert secret not in result.output
    assert tiers_host.snapshot() == before


@pytest.mark.parametrize("case", ["htpasswd user twice", "OpenID issuer not a URL", "sync registry URL not a URL",
                                  "session hash key too short", "bad htpasswd entry behind a Redis password"])
def test_bad_value_behind_no_log_fails_readably_on_a_converged_host(tiers_host, case):
    """The issue's cases on a host whose zot serves: readable failure, no secret at -vvv, nothing changed."""
    from integration.server.test_server_no_log import CASES as NO_LOG_CASES, SECRETS as NO_LOG_SECRETS

    before = tiers_host.snapshot()
    overrides, expected = NO_LOG_CASES[case]
    result = tiers_host.run(verbosity=3, **dict(tiers_vars(), **overrides))
    assert result.rc != 0
    for text in expected:
        assert text in result.stdout, str(result)
    for secret in SECRETS + NO_LOG_SECRETS:
        assert secret not in result.output, f"{secret} shown at -vvv"
    assert result.changed == 0
    assert tiers_host.snapshot() == before
    assert requests.get(f"{tiers_host.url}/v2/_catalog", auth=("ci", USERS["ci"]), timeout=10).status_code == 200


@pytest.mark.ansible_range
def test_check_diff_shows_policy_change_and_changes_nothing(tiers_host):
    before = tiers_host.snapshot()
    access = json.loads(json.dumps(THREE_TIERS))
    access["repositories"]["**"]["policies"][0]["actions"] = ["read", "create", "update"]
    result = tiers_host.run(check=True, diff=True, **dict(tiers_vars(), zot_access_control=access))
    assert result.rc == 0, str(result)
    assert '+                "update"' in result.stdout
    assert tiers_host.snapshot() == before
    for secret in SECRETS:
        assert secret not in result.output


def test_password_change_check_diff_is_masked_then_applies(tiers_host):
    before = tiers_host.snapshot()
    users = [{"name": n, "password": ("ci-Pass-2" if n == "ci" else p)} for n, p in USERS.items()]
    check = tiers_host.run(check=True, diff=True, verbosity=2, **dict(tiers_vars(), zot_htpasswd_users=users))
    assert check.rc == 0, str(check)
    assert check.changed >= 1
    assert tiers_host.snapshot() == before
    # The report names the user, never a password or a hash.
    assert "'updated': ['ci']" in check.stdout or '"updated": [\n            "ci"' in check.stdout, str(check)
    assert "$2b$" not in check.output and "$2y$" not in check.output
    for secret in SECRETS:
        assert secret not in check.output
    applied = tiers_host.run(diff=True, **dict(tiers_vars(), zot_htpasswd_users=users))
    assert applied.rc == 0, str(applied)
    for secret in SECRETS:
        assert secret not in applied.output
    # An unchanged password keeps its hash (nothing rewritten for admin).
    hashes = dict(line.split(":", 1) for line in tiers_host.path("/etc/zot/htpasswd").read_text().splitlines())
    old = dict(line.split(":", 1) for line in before["/etc/zot/htpasswd"][3].decode().splitlines())
    assert hashes["admin"] == old["admin"], "an unchanged password was rehashed"
    assert requests.get(f"{tiers_host.url}/v2/_catalog", auth=("ci", "ci-Pass-2"), timeout=10).status_code == 200
    assert requests.get(f"{tiers_host.url}/v2/_catalog", auth=("ci", USERS["ci"]), timeout=10).status_code == 401
    # Put the shared host back as the other tests expect it.
    assert tiers_host.run(**tiers_vars()).rc == 0


def test_broken_config_extra_fails_before_any_change_and_zot_keeps_serving(tiers_host):
    before = tiers_host.snapshot()
    # Passes the role's own checks; `zot verify` rejects the unknown storage key.
    result = tiers_host.run(**dict(tiers_vars(), zot_config_extra={"storage": {"garbageCollect": True}}))
    assert result.rc != 0
    assert "zot verify rejected the configuration" in result.stdout, str(result)
    assert "invalid keys: garbagecollect" in result.stdout, str(result)
    assert tiers_host.snapshot() == before
    assert requests.get(f"{tiers_host.url}/v2/_catalog", timeout=10).status_code == 200

    unknown_key = tiers_host.run(**dict(tiers_vars(), zot_config_extra={"htttp": {"port": "1"}}))
    assert unknown_key.rc != 0
    assert "zot_config_extra added unknown top-level keys" in unknown_key.stdout
    inline_secret = tiers_host.run(**dict(tiers_vars(), zot_config_extra={
        "http": {"auth": {"openid": {"providers": {"oidc": {"clientsecret": "oidc-Client-Secret"}}}}}}))
    assert inline_secret.rc != 0
    assert "http.auth.openid.providers.oidc.clientsecret" in inline_secret.stdout
    assert "oidc-Client-Secret" not in inline_secret.output
    assert tiers_host.snapshot() == before


def test_check_mode_on_fresh_host_fails_nowhere(zot_bin, real_host):
    real_host.reset(keep_binary=False)
    fresh = real_host.snapshot()
    result = real_host.run(check=True, diff=True, **tiers_vars())
    assert result.rc == 0, str(result)
    assert result.failed == 0
    assert result.changed > 0  # it reports what it would do
    assert real_host.snapshot() == fresh
    assert fresh["etc/passwd"] == [] and fresh["<unit>"]["LoadState"] == "not-found", fresh
    for secret in SECRETS:
        assert secret not in result.output


def test_ldap_user_gets_its_group_tier(zot_bin, real_host, test_hosts, ldap_server, oci_image, skopeo_copy):
    # zot takes the values of userGroupAttribute (memberOf: full DNs) as group names.
    ci_group = f"cn=artifact-workloads,{ldap_server.groups_dn}"
    admin_group = f"cn=admins,{ldap_server.groups_dn}"
    access = {
        "repositories": {"**": {"anonymousPolicy": ["read"],
                                "policies": [{"groups": [ci_group, "artifact-workloads"],
                                              "actions": ["read", "create"]}]}},
        "adminPolicy": {"groups": [admin_group, "admins"], "actions": ["read", "create", "update", "delete"]},
    }
    port = int(ldap_server.url.rsplit(":", 1)[1])
    # The host reaches the controller's slapd at the gateway address.
    result = real_host.run(zot_access_control=access, zot_ldap={
        "address": test_hosts.gateway, "port": port, "insecure": True, "base_dn": ldap_server.users_dn,
        "user_attribute": "uid", "user_group_attribute": "memberOf", "subtree_search": True,
        "bind_dn": ldap_server.bind_dn, "bind_password": ldap_server.bind_password})
    assert result.rc == 0, str(result)
    assert ldap_server.bind_password not in result.output
    ci = ("ci-bot", ldap_server.password_for("ci-bot"))
    alice = ("alice", ldap_server.password_for("alice"))
    target = f"docker://{real_host.address}:{real_host.port}/ldap/app:1"
    pushed = skopeo_copy(oci_image, target, creds=f"{ci[0]}:{ci[1]}")
    assert pushed.returncode == 0, pushed.stderr
    manifest = requests.get(f"{real_host.url}/v2/ldap/app/manifests/1", headers={"Accept": MANIFEST}, timeout=10)
    assert put_manifest(real_host, "ldap/app", "1", manifest.content, auth=ci).status_code == 403
    assert put_manifest(real_host, "ldap/app", "1", manifest.content, auth=alice).status_code == 201
    bob = ("bob", ldap_server.password_for("bob"))
    assert put_manifest(real_host, "ldap/app", "2", manifest.content, auth=bob).status_code == 403


def test_fail_delay_slows_failed_logins(zot_bin, real_host):
    result = real_host.run(**dict(tiers_vars(), zot_auth_fail_delay=2))
    assert result.rc == 0, str(result)
    start = time.monotonic()
    bad = requests.get(f"{real_host.url}/v2/_catalog", auth=("ci", "wrong"), timeout=30)
    slow = time.monotonic() - start
    assert bad.status_code == 401
    assert slow >= 2, f"a failed login answered after {slow:.2f}s"
    start = time.monotonic()
    assert requests.get(f"{real_host.url}/v2/_catalog", auth=("ci", USERS["ci"]), timeout=30).status_code == 200
    assert time.monotonic() - start < 2


def test_pull_through_cache_from_upstream(real_host, test_hosts, registry_upstream):
    upstream = registry_upstream.url.replace("127.0.0.1", test_hosts.gateway)
    result = real_host.run(**dict(tiers_vars(), zot_pull_through=[
        {"name": "docker.io", "url": upstream, "tls_verify": False}]))
    assert result.rc == 0, str(result)
    manifest = requests.get(f"{real_host.url}/v2/docker.io/library/hello/manifests/1",
                            headers={"Accept": MANIFEST}, timeout=60)
    assert manifest.status_code == 200, manifest.text
    catalog = requests.get(f"{real_host.url}/v2/_catalog", timeout=10).json()
    assert "docker.io/library/hello" in catalog["repositories"]


def _self_signed_pair(directory):
    """A TLS certificate and key, written root-owned 0600 (as a careless operator would)."""
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    for path in (cert, key):
        path.chmod(0o600)
        os.chown(path, 0, 0)
    return cert, key


def _broken_input(case, host):
    """Variables that pass the role's own input checks and `zot verify`, but would stop zot. Files
    are made on the host (/srv/side), written from the controller into its root filesystem."""
    side = host.path("/srv/side")
    side.mkdir(mode=0o755, parents=True, exist_ok=True)
    if case == "missing certificate file":
        return {"zot_auth_bearer": {"realm": "https://auth.example.com/token", "service": "zot",
                                    "cert": "/srv/side/missing-bearer.crt"}}, "does not exist"
    if case == "TLS file unreadable by the zot user":
        _self_signed_pair(side)
        return {"zot_http_tls_cert": "/srv/side/tls.crt", "zot_http_tls_key": "/srv/side/tls.key"}, \
            "is not readable by the zot user"
    if case == "port already in use":
        return {"zot_http_port": 22}, "is already in use by another program"  # the host's sshd
    if case == "storage the zot user cannot write":
        (side / "root-only").mkdir(mode=0o755, exist_ok=True)
        # Inside the unit's ReadWritePaths (else the role refuses it for that: test_server_sandbox.py),
        # but the directory is root's.
        return {"zot_systemd_read_write_paths": ["/srv/side/root-only"],
                "zot_config_extra": {"storage": {"rootDirectory": "/srv/side/root-only/images"}}}, "cannot create"
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["missing certificate file", "TLS file unreadable by the zot user",
                                  "port already in use", "storage the zot user cannot write"])
def test_broken_input_fails_before_any_change_and_zot_keeps_serving(tiers_host, oci_image, skopeo_copy, case):
    """Each class `zot verify` does not catch is caught before anything is replaced."""
    before = tiers_host.snapshot()
    overrides, cause = _broken_input(case, tiers_host)
    result = tiers_host.run(**dict(tiers_vars(), **overrides))
    assert result.rc != 0
    assert cause in result.stdout, str(result)
    assert tiers_host.snapshot() == before
    # The running zot still has its old config: anonymous read, CI may push a new tag.
    assert requests.get(f"{tiers_host.url}/v2/_catalog", timeout=10).status_code == 200
    pushed = push(skopeo_copy, oci_image, tiers_host, f"broken/{case.split()[0].lower()}:1", user="ci")
    assert pushed.returncode == 0, pushed.stderr


def test_failed_restart_restores_previous_config(zot_bin, real_host):
    """An OpenID issuer that does not answer passes every check but stops zot at start: the health
    check sees it, the previous config comes back and zot serves again."""
    assert real_host.run(**tiers_vars()).rc == 0
    before = real_host.config_path.read_bytes()
    files_before = _role_files(real_host)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_issuer = f"http://127.0.0.1:{closed.getsockname()[1]}/realms/nowhere"
    # The same run also changes a password: the htpasswd file it rewrote must come back as it was.
    users = [{"name": n, "password": ("ci-Pass-2" if n == "ci" else p)} for n, p in USERS.items()]
    result = real_host.run(**dict(
        tiers_vars(), zot_htpasswd_users=users, zot_health_check_timeout=10, zot_http_external_url=real_host.url,
        zot_openid_providers={"oidc": {"issuer": dead_issuer, "client_id": "zot", "client_secret": "s3cret-x"}}))
    assert result.rc != 0
    assert "previous configuration and binary were restored" in result.stdout, str(result)
    assert "Last lines of" in result.stdout
    assert "s3cret-x" not in result.output
    assert real_host.config_path.read_bytes() == before
    # Every file the run wrote is gone or back as it was: the new OpenID credentials file too, and the
    # rewritten htpasswd file (the old password works).
    assert not (real_host.config_path.parent / "oidc-oidc-credentials.json").exists()
    assert _role_files(real_host) == files_before
    assert requests.get(f"{real_host.url}/v2/_catalog", auth=("ci", USERS["ci"]), timeout=10).status_code == 200
    assert requests.get(f"{real_host.url}/v2/_catalog", timeout=10).status_code == 200


def test_unit_exposure_under_systemd_analyze_stays_low(tiers_host):
    """The host's own systemd scores the unit the role wrote (1.5 "OK" when measured; zot's example
    unit scores 9.2 "UNSAFE"); a directive dropped from the template raises the score."""
    report = tiers_host.host.ssh("systemd-analyze security --no-pager zot.service").stdout
    exposure = float(report.rsplit("Overall exposure level for zot.service:", 1)[1].split()[0])
    assert exposure <= 1.5, report
