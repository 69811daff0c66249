"""The server role's mechanics that one real zot binary cannot show - a version swap, a checksum
mismatch, a local binary for air-gapped hosts, service manager none, the default paths - with
fake_zot.py as the binary (see conftest.py). Everything the real zot can show (check diffs, masked
passwords, zot verify, rollback) is tested against it in test_server_zot.py, not here again."""
import hashlib
import json
import os
import stat
from pathlib import Path

import bcrypt
import pytest
import requests

from integration.harness.ansible import run_playbook
from integration.server.server_helpers import PLAYBOOK, TEST_USER, Host, systemctl_dir

USERS = [{"name": "admin", "password": "admin-Secret-1"}, {"name": "ci", "password": "ci-Secret-1"}]
ACCESS = {
    "repositories": {"**": {"anonymousPolicy": ["read"],
                            "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]}},
    "groups": {"artifact-workloads": {"users": ["ci"]}},
    "adminPolicy": {"users": ["admin"], "actions": ["read", "create", "update", "delete"]},
}
SECRETS = ["admin-Secret-1", "ci-Secret-1", "ldap-Bind-Secret", "oidc-Client-Secret", "ci-Secret-2"]


def base_vars():
    return {
        "zot_htpasswd_users": USERS,
        "zot_access_control": ACCESS,
        "zot_ldap": {"address": "127.0.0.1", "port": 3890, "base_dn": "dc=zotops,dc=test",
                     "bind_dn": "cn=admin,dc=zotops,dc=test", "bind_password": "ldap-Bind-Secret",
                     "user_group_attribute": "memberOf"},
        "zot_openid_providers": {"oidc": {"issuer": "https://idp.zotops.test/realms/x", "client_id": "zot",
                                          "client_secret": "oidc-Client-Secret"}},
        "zot_http_external_url": "https://zot.zotops.test",
        "zot_pull_through": [{"name": "docker.io", "url": "https://registry-1.docker.io"}],
    }


def assert_no_secret(result):
    for secret in SECRETS:
        assert secret not in result.output, f"{secret!r} leaked into the output"


def mode(path):
    return stat.S_IMODE(Path(path).stat().st_mode)


@pytest.mark.slow
def test_converge_installs_verified_binary_files_and_service(fake_host, fake_release):
    result = fake_host.run(**base_vars())
    assert result.rc == 0, str(result)
    assert_no_secret(result)

    root = fake_host.root
    link = root / "bin" / "zot"
    assert link.is_symlink() and Path(link.resolve()).name == "zot-v2.1.20-linux-amd64"
    assert hashlib.sha256(link.read_bytes()).hexdigest() == fake_release.sha256("zot-linux-amd64")
    assert mode(root / "etc") == 0o750 and mode(root / "data") == 0o750 and mode(root / "log") == 0o750
    assert mode(fake_host.config_path) == 0o640
    for name in ("htpasswd", "ldap-credentials.json", "oidc-oidc-credentials.json"):
        path = root / "etc" / name
        assert mode(path) == 0o600, name
        assert path.owner() == TEST_USER, name

    config = fake_host.config()
    auth = config["http"]["auth"]
    assert auth["htpasswd"]["path"] == str(root / "etc" / "htpasswd")
    assert auth["ldap"]["credentialsFile"] == str(root / "etc" / "ldap-credentials.json")
    assert auth["openid"]["providers"]["oidc"]["credentialsFile"] == str(root / "etc" / "oidc-oidc-credentials.json")
    assert config["http"]["accessControl"] == ACCESS
    assert config["extensions"]["sync"]["registries"][0]["onDemand"] is True
    raw = fake_host.config_path.read_text()
    for secret in SECRETS:
        assert secret not in raw
    assert json.loads((root / "etc" / "ldap-credentials.json").read_text()) == {
        "bindDN": "cn=admin,dc=zotops,dc=test", "bindPassword": "ldap-Bind-Secret"}
    assert json.loads((root / "etc" / "oidc-oidc-credentials.json").read_text()) == {
        "clientid": "zot", "clientsecret": "oidc-Client-Secret"}
    lines = dict(line.split(":", 1) for line in (root / "etc" / "htpasswd").read_text().splitlines())
    assert bcrypt.checkpw(b"ci-Secret-1", lines["ci"].encode())

    unit = Path("/etc/systemd/system") / f"{fake_host.name}.service"
    text = unit.read_text()
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                      f"ReadWritePaths={root / 'data'} {root / 'log'}", f"User={TEST_USER}",
                      f"ExecStart={root / 'bin' / 'zot'} serve {fake_host.config_path}",
                      "PrivateTmp=no"):  # this host's files live under /tmp: a private /tmp would hide them
        assert directive in text
    # The fake answers like zot with authentication on: the service runs the installed binary.
    assert requests.get(f"{fake_host.url}/v2/", timeout=5).status_code == 401


@pytest.mark.slow
def test_check_mode_with_default_paths_predicts_the_hardened_unit(fake_host):
    """With the default paths (/etc/zot, /var/lib/zot, ...) --check --diff shows the unit it would write."""
    defaults = {k: v for k, v in fake_host.vars.items()
                if k not in ("zot_install_dir", "zot_binary_path", "zot_config_dir", "zot_data_dir", "zot_log_dir")}
    result = run_playbook(PLAYBOOK, extra_vars=dict(defaults, **base_vars()), check=True, diff=True,
                          env=fake_host.env())
    assert result.rc == 0, str(result)
    for directive in ("+NoNewPrivileges=yes", "+ProtectSystem=strict", "+ReadWritePaths=/var/lib/zot /var/log/zot",
                      "+ProtectHome=yes", "+PrivateTmp=yes", "+PrivateDevices=yes", "+CapabilityBoundingSet=",
                      "+SystemCallFilter=@system-service", "+ExecStartPre=/usr/local/bin/zot verify /etc/zot/config.json"):
        assert directive in result.stdout, directive
    assert not Path("/etc/systemd/system", fake_host.name + ".service").exists()
    assert_no_secret(result)


@pytest.mark.slow
def test_second_converge_changes_nothing_and_downloads_nothing(fake_host, fake_release):
    assert fake_host.run(**base_vars()).rc == 0
    before = fake_host.snapshot()
    downloads = len(fake_release.requests)
    again = fake_host.run(**base_vars())
    assert again.rc == 0, str(again)
    assert again.changed == 0, str(again)
    assert fake_host.snapshot() == before
    assert fake_release.requests[downloads:] == [], "the cached, verified release was downloaded again"


@pytest.mark.slow
def test_version_change_swaps_binary_and_restarts(fake_host, fake_release):
    assert fake_host.run(**base_vars()).rc == 0
    # A second release in the same mirror, with different bytes.
    release = Path(fake_release.root) / "v2.1.21"
    release.mkdir(exist_ok=True)
    binary = (Path(fake_release.root) / "v2.1.20" / "zot-linux-amd64").read_bytes() + b"\n# v2.1.21\n"
    (release / "zot-linux-amd64").write_bytes(binary)
    (release / "checksums.sha256.txt").write_text(f"{hashlib.sha256(binary).hexdigest()} *zot-linux-amd64\n")
    base = fake_release.url + "/v{{ zot_version }}"
    result = fake_host.run(**dict(base_vars(), zot_version="2.1.21", zot_release_base_url=base))
    assert result.rc == 0, str(result)
    assert "Restart zot with the new binary or configuration (systemd)" in result.stdout
    assert Path((fake_host.root / "bin" / "zot").resolve()).name == "zot-v2.1.21-linux-amd64"
    assert requests.get(f"{fake_host.url}/v2/", timeout=5).status_code == 401
    same = fake_host.run(**dict(base_vars(), zot_version="2.1.21", zot_release_base_url=base))
    assert same.changed == 0, str(same)


@pytest.mark.slow
def test_checksum_mismatch_fails_before_install(fake_host):
    result = fake_host.run(**dict(base_vars(), zot_binary_checksum="0" * 64))
    assert result.rc != 0
    assert "checksum" in result.stdout.lower(), str(result)
    assert not (fake_host.root / "lib").exists()


@pytest.mark.slow
def test_local_binary_for_air_gapped_hosts(fake_host, fake_release):
    local = Path(fake_release.root) / "v2.1.20" / "zot-linux-amd64"
    wrong = fake_host.run(**dict(base_vars(), zot_binary_local_path=str(local), zot_binary_checksum="1" * 64,
                                 zot_release_base_url="http://127.0.0.1:9/unreachable"))
    assert wrong.rc != 0
    assert "zot_binary_local_path" in wrong.stdout and "zot_binary_checksum" in wrong.stdout
    assert not fake_host.root.exists()
    result = fake_host.run(**dict(base_vars(), zot_binary_local_path=str(local),
                                  zot_binary_checksum="sha256:" + fake_release.sha256("zot-linux-amd64"),
                                  zot_release_base_url="http://127.0.0.1:9/unreachable"))
    assert result.rc == 0, str(result)
    assert (fake_host.root / "bin" / "zot").read_bytes() == local.read_bytes()


def test_service_manager_none_installs_without_a_service(host_root, fake_release):
    """Containers: files only, no unit, no restart, no health check."""
    if os.geteuid() != 0:
        pytest.skip("creates a system user: run as root")
    host = Host(host_root / "host", {"zot_release_base_url": fake_release.base_url}, systemctl_dir(host_root),
                service_manager="none")
    result = host.run(**base_vars())
    assert result.rc == 0, str(result)
    assert host.config_path.exists()
    assert not (Path("/etc/systemd/system") / f"{host.name}.service").exists()
    assert host.run(**base_vars()).changed == 0


def test_failed_first_start_leaves_no_configuration_unit_or_secret(fake_host):
    """On a host zot was never installed on there is nothing to roll back to: a first start that fails
    (an OpenID issuer that does not answer) stops the service, and the configuration, unit, credentials
    and htpasswd files the run wrote are gone; the verified binary, directories and user stay."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_issuer = f"http://127.0.0.1:{closed.getsockname()[1]}/realms/nowhere"
    variables = dict(base_vars(), zot_health_check_timeout=4, zot_openid_providers={
        "oidc": {"issuer": dead_issuer, "client_id": "zot", "client_secret": "oidc-Client-Secret"}})
    result = fake_host.run(**variables)
    assert result.rc != 0
    assert "zot was not installed before this run" in result.stdout, str(result)
    assert_no_secret(result)
    etc = fake_host.root / "etc"
    assert sorted(p.name for p in etc.iterdir()) == [], sorted(p.name for p in etc.iterdir())
    assert not (Path("/etc/systemd/system") / f"{fake_host.name}.service").exists()
    assert (fake_host.root / "bin" / "zot").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fake_host.url}/v2/", timeout=3)
