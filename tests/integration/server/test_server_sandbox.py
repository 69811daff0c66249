"""The systemd unit's sandbox and the role agree on what zot may read and write, under a systemd that
enforces ProtectSystem=strict, ProtectHome and PrivateTmp (booted hosts, tests/integration/harness/hosts.py).

One test per class of path: storage and log outside ReadWritePaths are refused before any change;
storage the user adds to zot_systemd_read_write_paths takes pushes and API keys (zot's metadata DB
lives in it); TLS files under /home stay readable (ProtectHome=read-only). The S3 credentials file,
read through the unit's environment, is covered by the fleet's replica set (test_fleet.py).
"""
import os
import subprocess

import pytest
import requests

from integration.server.test_server_zot import USERS, push, tiers_vars

pytestmark = [pytest.mark.zot, pytest.mark.slow]


@pytest.mark.parametrize("overrides, key", [
    ({"zot_config_extra": {"storage": {"rootDirectory": "/srv/images"}}}, "storage.rootDirectory"),
    ({"zot_config_extra": {"storage": {"subPaths": {"/team": {"rootDirectory": "/srv/team"}}}}},
     "storage.subPaths./team.rootDirectory"),
    ({"zot_log_output": "/srv/zotlog/zot.log"}, "log.output"),
], ids=["storage", "sub-path storage", "log"])
def test_writes_outside_read_write_paths_are_refused_before_any_change(real_host, overrides, key):
    fresh = real_host.snapshot()
    result = real_host.run(**dict(tiers_vars(), **overrides))
    assert result.rc != 0
    assert "outside the systemd unit's ReadWritePaths" in result.stdout, str(result)
    assert key in result.stdout and "zot_systemd_read_write_paths" in result.stdout, str(result)
    assert real_host.snapshot() == fresh


def test_storage_added_to_read_write_paths_takes_pushes_and_api_keys(real_host, oci_image, skopeo_copy):
    assert real_host.run(**tiers_vars()).rc == 0
    # The operator's directory for the images, owned by the zot user the first run made.
    entry = next(line for line in real_host.path("/etc/passwd").read_text().splitlines() if line.startswith("zot:"))
    uid, gid = (int(field) for field in entry.split(":")[2:4])
    images = real_host.path("/srv/images")
    images.mkdir(mode=0o750, parents=True)
    os.chown(images, uid, gid)
    result = real_host.run(**dict(tiers_vars(), zot_auth_apikey=True, zot_systemd_read_write_paths=["/srv/images"],
                                  zot_config_extra={"storage": {"rootDirectory": "/srv/images"}}))
    assert result.rc == 0, str(result)
    unit = real_host.path("/etc/systemd/system/zot.service").read_text()
    assert "ReadWritePaths=/var/lib/zot /var/log/zot /srv/images" in unit
    pushed = push(skopeo_copy, oci_image, real_host, "sandbox/app:1", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    assert (images / "sandbox" / "app" / "index.json").exists()
    # An API key is stored in zot's metadata DB, which lives in the storage root.
    made = requests.post(f"{real_host.url}/zot/auth/apikey", auth=("ci", USERS["ci"]), timeout=10,
                         json={"label": "sandbox", "scopes": []})
    assert made.status_code == 201, made.text
    listed = requests.get(f"{real_host.url}/zot/auth/apikey", auth=("ci", made.json()["apiKey"]), timeout=10)
    assert listed.status_code == 200 and [k["label"] for k in listed.json()["apiKeys"]] == ["sandbox"]


def test_tls_files_under_home_stay_readable(real_host):
    tls = real_host.path("/home/ansible/tls")
    tls.mkdir(mode=0o755, exist_ok=True)
    cert, key = tls / "tls.crt", tls / "tls.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=zot",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    cert.chmod(0o644)
    key.chmod(0o644)
    result = real_host.run(**dict(tiers_vars(), zot_http_tls_cert="/home/ansible/tls/tls.crt",
                                  zot_http_tls_key="/home/ansible/tls/tls.key"))
    assert result.rc == 0, str(result)
    assert "ProtectHome=read-only" in real_host.path("/etc/systemd/system/zot.service").read_text()
    answer = requests.get(f"https://{real_host.address}:{real_host.port}/v2/_catalog", verify=False, timeout=10)
    assert answer.status_code == 200
