"""What a user gets from `ansible-galaxy collection install <tarball>`: a playbook run from a
directory outside the repository, using only FQCNs, works against the real services."""
import json
import os
import subprocess
import textwrap

import pytest
import requests

from integration.harness.ansible import ansible_env, local_inventory, run_playbook
from integration.harness.env import venv_bin
from integration.server.server_helpers import provisioned_host

PLAYBOOK = textwrap.dedent("""\
    - name: Use the installed collection by FQCN only
      hosts: localhost
      gather_facts: false
      module_defaults:
        group/zotops.zot.keycloak:
          keycloak_url: "{{ keycloak_url }}"
          auth_username: "{{ keycloak_admin }}"
          auth_password: "{{ keycloak_admin_password }}"
      tasks:
        - name: Register zot's OIDC client
          zotops.zot.keycloak_oidc_client:
            realm: master
            client_id: "{{ client_id }}"
            root_url: https://registry.example.test
            redirect_uris: [https://registry.example.test/zot/auth/callback/oidc]
          register: client

        - name: Compile the three tiers into zot's accessControl
          ansible.builtin.copy:
            content: "{{ access | zotops.zot.access_control | to_nice_json }}"
            dest: "{{ output_dir }}/access.json"
            mode: "0600"
    """)

ACCESS = {
    "anonymous": ["read"],
    "groups": {"artifact-workloads": {}, "admins": {}},
    "tiers": {"ci": {"groups": ["artifact-workloads"], "actions": ["read", "create"], "immutable_tags": True}},
    "admins": {"groups": ["admins"]},
}


@pytest.mark.ansible_range
@pytest.mark.keycloak
def test_playbook_outside_the_repo_uses_the_installed_collection(installed_collection, keycloak_server, tmp_path,
                                                                 ansible_core):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "site.yml").write_text(PLAYBOOK)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(installed_collection),
           # only the installed copy may answer for zotops.zot
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    client_id = "zot-from-tarball-" + ansible_core  # a client of its own per ansible-core release
    result = run_playbook(workdir / "site.yml", inventory=local_inventory(tmp_path / "inventory.json"),
                          cwd=workdir, env=env, extra_vars={
                              "client_id": client_id, "keycloak_url": keycloak_server.url,
                              "keycloak_admin": keycloak_server.admin_user,
                              "keycloak_admin_password": keycloak_server.admin_password,
                              "output_dir": str(workdir), "access": ACCESS})
    assert result.rc == 0, result
    assert result.changed == 2
    clients = keycloak_server.admin("GET", "/master/clients", params={"clientId": client_id}).json()
    assert [c["redirectUris"] for c in clients] == [["https://registry.example.test/zot/auth/callback/oidc"]]
    compiled = json.loads((workdir / "access.json").read_text())
    assert compiled["repositories"]["**"]["anonymousPolicy"] == ["read"]


def installed_only(installed_collection):
    return {"ANSIBLE_COLLECTIONS_PATH": str(installed_collection), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}


def test_shipped_playbooks_run_by_name(installed_collection, tmp_path):
    for playbook in ("zotops.zot.rotate_api_key", "zotops.zot.demo"):
        checked = subprocess.run([venv_bin("ansible-playbook"), "-i", "localhost,", "--syntax-check", playbook],
                                 capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
                                 env=ansible_env(installed_only(installed_collection)))
        assert checked.returncode == 0, checked.stdout + checked.stderr


SERVER_PLAYBOOK = textwrap.dedent("""\
    - name: Install zot and keep a CI key, by FQCN only
      hosts: all
      gather_facts: true
      roles:
        - role: zotops.zot.server
      tasks:
        - name: Keep an API key for CI
          zotops.zot.zot_api_key:
            zot_url: "http://127.0.0.1:{{ zot_http_port }}"
            username: ci
            password: "{{ ci_password }}"
            label: ci
            valid_days: 90
            stores:
              - type: file
                path: "{{ key_file }}"
          no_log: true
    """)


@pytest.mark.ansible_range
def test_server_role_and_a_module_from_the_installed_collection(installed_collection, release_mirror, systemd_path,
                                                                tmp_path):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "site.yml").write_text(SERVER_PLAYBOOK)
    ci_password = "ci-" + os.urandom(8).hex()
    with provisioned_host("zotops-installed-", {"zot_release_base_url": release_mirror.base_url},
                          systemd_path) as host:
        extra = dict(host.vars, zot_auth_apikey=True, ci_password=ci_password, key_file=str(workdir / "ci.key"),
                     zot_htpasswd_users=[{"name": "ci", "password": ci_password}],
                     zot_access={"anonymous": ["read"], "groups": {"ci": {"users": ["ci"]}},
                                 "tiers": {"ci": {"groups": ["ci"], "actions": ["read", "create"]}}})
        result = run_playbook(workdir / "site.yml", inventory=local_inventory(tmp_path / "inventory.json"),
                              cwd=workdir, extra_vars=extra, env={**host.env(), **installed_only(installed_collection)})
        assert result.rc == 0, result
        assert requests.get(f"{host.url}/v2/_catalog", timeout=10).status_code == 200
        key = (workdir / "ci.key").read_text().strip()
        assert key.startswith("zak_")
        assert requests.get(f"{host.url}/v2/", auth=("ci", key), timeout=10).status_code == 200
