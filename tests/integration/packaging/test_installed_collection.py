"""What a user gets from `ansible-galaxy collection install <tarball>`: a playbook run from a
directory outside the repository, using only FQCNs, works against the real services."""
import json
import textwrap

import pytest

from integration.harness.ansible import local_inventory, run_playbook

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
            client_id: zot-from-tarball
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


@pytest.mark.keycloak
def test_playbook_outside_the_repo_uses_the_installed_collection(installed_collection, keycloak_server, tmp_path):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    (workdir / "site.yml").write_text(PLAYBOOK)
    env = {"ANSIBLE_COLLECTIONS_PATH": str(installed_collection),
           # only the installed copy may answer for zotops.zot
           "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false"}
    result = run_playbook(workdir / "site.yml", inventory=local_inventory(tmp_path / "inventory.json"),
                          cwd=workdir, env=env, extra_vars={
                              "keycloak_url": keycloak_server.url, "keycloak_admin": keycloak_server.admin_user,
                              "keycloak_admin_password": keycloak_server.admin_password,
                              "output_dir": str(workdir), "access": ACCESS})
    assert result.rc == 0, result
    assert result.changed == 2
    clients = keycloak_server.admin("GET", "/master/clients", params={"clientId": "zot-from-tarball"}).json()
    assert [c["redirectUris"] for c in clients] == [["https://registry.example.test/zot/auth/callback/oidc"]]
    compiled = json.loads((workdir / "access.json").read_text())
    assert compiled["repositories"]["**"]["anonymousPolicy"] == ["read"]
