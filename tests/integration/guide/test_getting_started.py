"""docs/getting-started.md §0, §1 and §2a, followed literally against the real Keycloak and the real zot.

The guide's files (blocks whose first line names them: ``# inventory.ini``, ``# group_vars/...``,
``# site.yml``, ``# keycloak-realm.yml``, ``# sso-keycloak.yml``) are written to a fresh project directory
and its ``ansible-playbook`` lines are run there, in the guide's order, with the collection from this
checkout. Only what must differ on a test machine is substituted: the hosts' URLs and ports, the
Keycloak admin account, the TLS files, every path (under a temp root, via one extra-vars file appended to
each command), the zot account, the release mirror, ``zot_service_manager: none`` (no systemd here; the
issue's user ran it that way), and the vault (a plain file, no ``--ask-vault-pass``). zot is started as
the guide's "Without a service manager" says.
"""
import json
import os
import re
import secrets
import subprocess
import time

import pytest
import requests
import urllib3
import yaml

from integration.guide import guide_helpers as guide
from integration.harness.env import venv_bin
from integration.harness.process import ManagedProcess
from integration.server.server_helpers import TEST_USER, provisioned_host

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

RESTART_LINE = "zot would be restarted"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
VAULT = {
    "vault_zot_admin_password": "Adm-" + secrets.token_urlsafe(12),
    "vault_zot_ci_password": "Ci-" + secrets.token_urlsafe(12),
    "vault_zot_session_hash_key": secrets.token_hex(32),
    "vault_zot_session_encrypt_key": secrets.token_hex(16),
    "vault_authentik_token": "unused-" + secrets.token_urlsafe(8),
}


def test_every_command_names_an_inventory():
    """No ansible-playbook line in the guide leaves Ansible to warn "No inventory was parsed"."""
    lines = [argv for _section, argv in guide.commands(guide.GUIDE.read_text()) if argv[:1] == ["ansible-playbook"]]
    assert len(lines) >= 8
    for argv in lines:
        assert "-i" in argv or any(a.startswith("--inventory") for a in argv), " ".join(argv)


def test_the_secrets_reach_every_play_that_uses_them():
    """The vault file lives where both the registry plays and the localhost (Keycloak) plays see it."""
    text = guide.GUIDE.read_text()
    vault = [name for name in guide.files(text) if name.endswith("vault.yml")]
    assert vault == ["group_vars/all/vault.yml"]


def _private_ca_pair(directory):
    """A private CA and zot's certificate signed by it (the guide's TLS from a private CA)."""
    ca_cert, ca_key = directory / "ca.crt", directory / "ca.key"
    cert, key, csr = directory / "registry.crt", directory / "registry.key", directory / "registry.csr"
    extfile = directory / "san.ext"
    # The extensions a strict verifier asks for (Python 3.13's default VERIFY_X509_STRICT): keyUsage on
    # the CA, key identifiers and usages on zot's certificate.
    extfile.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                       "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                       "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=zotops test private CA", "-days", "2",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-keyout", str(ca_key), "-out", str(ca_cert))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(csr))
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
            "-days", "2", "-extfile", str(extfile), "-out", str(cert))
    for path in (cert, key, ca_cert):
        path.chmod(0o644)  # a test-only shortcut: the zot user does not exist before the first run
    return cert, key, ca_cert


class Walk:
    """The project directory, the zot the guide says to run, and every command's result."""

    def __init__(self, host, keycloak, project):
        self.host, self.keycloak, self.project = host, keycloak, project
        self.url = f"https://127.0.0.1:{host.vars['zot_http_port']}"
        self.results = {}
        self.zot = None
        self.serve_argv = None

    def run(self, key, argv):
        result = guide.run_command(argv, self.project, ["-e", f"@{self.project / 'test-host.json'}"])
        self.results[key] = result
        return result

    def start_zot(self):
        self.stop_zot()
        self.zot = ManagedProcess("zot-guide", self.serve_argv, self.host.root.parent,
                                  env={"PATH": os.environ["PATH"]})
        self.zot.start()
        self.zot.wait_until(lambda: requests.get(f"{self.url}/v2/", verify=False, timeout=2).status_code in (200, 401),
                            60, "zot answering on /v2/")

    def stop_zot(self):
        if self.zot is not None:
            self.zot.stop()
            self.zot = None


def _write_project(project, host, keycloak, cert, key):
    text = guide.GUIDE.read_text()
    parts = guide.sections(text)
    # §0 (inventory, vault), §1 (zot.yml, site.yml), §2 (zot.yml continued, the realm, SSO); not §3.
    written = guide.files("".join(parts[number] for number in ("0", "1", "2")))
    for name in ("inventory.ini", "group_vars/all/vault.yml", "group_vars/registry/zot.yml", "site.yml",
                 "keycloak-realm.yml", "sso-keycloak.yml"):
        assert name in written, f"the guide no longer writes {name}"

    port = host.vars["zot_http_port"]
    zot_url = f"https://127.0.0.1:{port}"
    interpreter = venv_bin("python")
    written["inventory.ini"] = guide.substitute(written["inventory.ini"], [
        ("registry.example.com", f"registry.example.com ansible_connection=local ansible_python_interpreter={interpreter}")])
    vault = yaml.safe_load(written["group_vars/all/vault.yml"])
    assert set(vault) == set(VAULT) | {"vault_keycloak_admin_password"}, sorted(vault)
    written["group_vars/all/vault.yml"] = yaml.safe_dump(dict(VAULT, vault_keycloak_admin_password=keycloak.admin_password))
    written["group_vars/registry/zot.yml"] = guide.substitute(written["group_vars/registry/zot.yml"], [
        ("https://registry.example.com", zot_url),
        ("zot_http_port: 5000", f"zot_http_port: {port}"),
        ("/etc/ssl/zot/registry.crt", str(cert)),
        ("/etc/ssl/zot/registry.key", str(key)),
    ])
    for name in ("keycloak-realm.yml", "sso-keycloak.yml"):
        written[name] = guide.substitute(written[name], [
            ("https://sso.example.com", keycloak.url),
        ])
        # The Keycloak admin account: every `auth_username: admin` (module options and role variables).
        assert re.search(r"auth_username: admin\b", written[name]), name
        written[name] = re.sub(r"auth_username: admin\b", f"auth_username: {keycloak.admin_user}", written[name])
    for name, content in written.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (project / "group_vars" / "all" / "vault.yml").chmod(0o600)
    # Paths under the temp root, the test account, the release mirror, no service manager.
    overrides = dict(host.vars, zot_service_manager="none")
    (project / "test-host.json").write_text(json.dumps(overrides))
    return parts


def _guide_commands(parts, section):
    found = guide.commands(parts[section])
    return [argv for _section, argv in found if argv[:1] == ["ansible-playbook"]], found


def _playbook_lines(lines, playbook):
    """The guide's lines for ``playbook``, as runnable argv (no vault prompt: the vault is a plain file)."""
    chosen = [[a for a in argv if a != "--ask-vault-pass"] for argv in lines if playbook in argv]
    assert chosen, f"the guide has no command for {playbook}"
    return chosen


def _serve_argv(found, host):
    serve = [argv for prompt, argv in found if "serve" in argv]
    assert len(serve) == 1, found
    argv = serve[0]
    assert argv[:3] == ["runuser", "-u", "zot"], argv
    assert argv[-3:] == ["/usr/local/bin/zot", "serve", "/etc/zot/config.json"], argv
    return ["runuser", "-u", TEST_USER, "--", host.vars["zot_binary_path"], "serve", str(host.config_path)]


@pytest.fixture(scope="module")
def walk(release_mirror, keycloak_server, tmp_path_factory):
    project = tmp_path_factory.mktemp("guide-project")
    with provisioned_host("zotops-guide-", {"zot_release_base_url": release_mirror.base_url}, project) as host:
        host.root.parent.joinpath("tls").mkdir()
        cert, key, ca_cert = _private_ca_pair(host.root.parent / "tls")
        parts = _write_project(project, host, keycloak_server, cert, key)
        walked = Walk(host, keycloak_server, project)
        lines1, found1 = _guide_commands(parts, "1")
        lines2, _found = _guide_commands(parts, "2")
        walked.serve_argv = _serve_argv(found1, host)
        try:
            started = time.monotonic()
            # §1: preview, apply, run zot as the guide says.
            check, apply = _playbook_lines(lines1, "site.yml")
            assert "--check" in check and "--diff" in check
            walked.run("site check", check)
            walked.run("site apply", apply)
            if walked.results["site apply"].rc == 0:
                walked.start_zot()
            # §2a: the realm, then preview and apply SSO; zot reads its config at start: restart it.
            for argv in _playbook_lines(lines2, "keycloak-realm.yml"):
                walked.run("realm", argv)
            check, apply = _playbook_lines(lines2, "sso-keycloak.yml")
            walked.run("sso check", check)
            walked.run("sso apply", apply)
            if walked.results["sso apply"].rc == 0:
                walked.start_zot()
            walked.files_after_apply = guide.tree_state(host.root, skip=("log", "data"))
            pid = walked.zot.proc.pid if walked.zot else None
            # What a user does next: run it again, and preview once more.
            walked.run("sso again", apply)
            walked.run("sso check again", check)
            walked.files_after_again = guide.tree_state(host.root, skip=("log", "data"))
            walked.zot_pid_unchanged = walked.zot is not None and walked.zot.running() and walked.zot.proc.pid == pid
            _walk_section_3(walked, project, parts, ca_cert)
            walked.seconds = time.monotonic() - started
            yield walked
        finally:
            walked.stop_zot()
            try:
                keycloak_server.admin("DELETE", "/platform")
            except requests.RequestException:
                pass


@pytest.mark.zot
@pytest.mark.keycloak
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
class TestGuideWalk:
    def test_previews_predict_without_failing(self, walk):
        for key in ("site check", "sso check"):
            result = walk.results[key]
            assert result.rc == 0, f"{key}: {result}"
            assert result.failed == 0
            assert result.changed > 0, f"{key} predicted nothing: {result}"
        # The first preview ran on an empty host and left it empty.
        assert "config.json" in walk.results["site check"].stdout

    def test_every_run_succeeds(self, walk):
        for key in ("site apply", "realm", "sso apply", "sso again", "sso check again"):
            assert walk.results[key].rc == 0, f"{key}: {walk.results[key]}"
        assert walk.results["realm"].changed == 1

    def test_second_run_changes_nothing_and_restarts_nothing(self, walk):
        again = walk.results["sso again"]
        assert again.changed == 0, str(again)
        preview = walk.results["sso check again"]
        assert preview.changed == 0, str(preview)
        assert RESTART_LINE not in preview.stdout
        # The credentials file, config.json and htpasswd are byte for byte what the first run wrote,
        # and the zot the user runs kept running.
        assert walk.files_after_again == walk.files_after_apply
        assert any(name.startswith("etc/oidc-") for name in walk.files_after_apply), sorted(walk.files_after_apply)
        assert walk.zot_pid_unchanged

    def test_the_three_tiers(self, walk):
        url, ci = walk.url, ("zot-ci", VAULT["vault_zot_ci_password"])
        assert requests.get(f"{url}/v2/_catalog", verify=False, timeout=10).status_code == 200
        anonymous = requests.post(f"{url}/v2/team/app/blobs/uploads/", verify=False, timeout=30)
        assert anonymous.status_code == 401
        manifest = _push_image(url, "team/app", ci)
        first = _put_manifest(url, "team/app", "1.1", manifest, ci)
        assert first.status_code == 201, first.text
        assert requests.get(f"{url}/v2/team/app/manifests/1.1", headers={"Accept": MANIFEST}, verify=False,
                            timeout=10).status_code == 200
        again = _put_manifest(url, "team/app", "1.1", manifest, ci)
        assert again.status_code == 403, again.text
        admin = _put_manifest(url, "team/app", "1.1", manifest, ("admin", VAULT["vault_zot_admin_password"]))
        assert admin.status_code == 201, admin.text

    def test_oidc_login_redirects_to_the_keycloak_realm(self, walk):
        login = requests.get(f"{walk.url}/zot/auth/login", params={"provider": "oidc"}, verify=False,
                             allow_redirects=False, timeout=30)
        assert login.status_code in (302, 307), f"{login.status_code} {login.text[:300]}\n{walk.zot.log_tail()}"
        location = login.headers["Location"]
        assert location.startswith(f"{walk.keycloak.url}/realms/platform/protocol/openid-connect/auth?"), location
        assert "redirect_uri=" + requests.utils.quote(f"{walk.url}/zot/auth/callback/oidc", safe="") in location
        # Keycloak knows the client and the redirect URI: its login page, not an error page.
        page = requests.get(location, timeout=30)
        assert page.status_code == 200 and 'id="kc-form-login"' in page.text, page.text[:500]

    def test_api_keys_rotate_over_tls_from_a_private_ca_into_a_new_directory(self, walk):
        for key in ("apikey check", "apikey apply", "rotation check", "rotation"):
            assert walk.results[key].rc == 0, f"{key}: {walk.results[key]}"
        assert '"apikey": true' in walk.results["apikey check"].stdout, str(walk.results["apikey check"])
        check = walk.results["rotation check"]
        assert "Rotation due" in check.stdout and "would revoke 0 old key(s)" in check.stdout, str(check)
        assert not walk.key_dir_after_check, "check mode created the store's directory"
        assert "Rotated" in walk.results["rotation"].stdout, str(walk.results["rotation"])
        # The store's directory was made 0700 and holds the key 0600; the key works, verified by the CA.
        assert walk.key_file.parent.stat().st_mode & 0o7777 == 0o700
        assert walk.key_file.stat().st_mode & 0o7777 == 0o600
        api_key = walk.key_file.read_text().strip()
        assert api_key.startswith("zak_")
        ca = str(walk.host.root.parent / "tls" / "ca.crt")
        assert requests.get(f"{walk.url}/v2/_catalog", auth=("zot-ci", api_key), verify=ca,
                            timeout=10).status_code == 200
        for result in walk.results.values():
            assert api_key not in result.output

    def test_no_secret_in_any_output(self, walk):
        credentials = list(walk.host.root.joinpath("etc").glob("oidc-*credentials.json"))
        assert credentials
        secret = json.loads(credentials[0].read_text())["clientsecret"]
        assert len(secret) > 8
        for key, result in walk.results.items():
            for value in list(VAULT.values()) + [walk.keycloak.admin_password, secret]:
                assert value not in result.output, f"{key} printed a secret"


def _walk_section_3(walked, project, parts, ca_cert):
    """§3: API keys on with the SSO playbook, then the rotation playbook against zot's TLS from the private
    CA (zot_apikey_ca_path), into a file store whose directory does not exist yet."""
    host = walked.host
    # §3's blocks: the zot.yml continuation (started in §1) and the rotation's vars file.
    continued = {}
    for lang, body in guide.FENCE.findall(parts["3"]):
        match = guide.FILE_NAME.match(body.splitlines()[0]) if lang == "yaml" and body else None
        if match:
            continued[match.group(1)] = body
    assert set(continued) == {"group_vars/registry/zot.yml", "zot-ci-rotation.yml"}, sorted(continued)
    with open(project / "group_vars" / "registry" / "zot.yml", "a") as zot_yml:
        zot_yml.write("\n" + continued["group_vars/registry/zot.yml"])
    walked.key_file = host.root.parent / "rotation" / "new-dir" / "zot-ci.key"
    rotation = guide.substitute(continued["zot-ci-rotation.yml"], [
        ("https://registry.example.com", walked.url),
        ('"the zot-ci password"', json.dumps(VAULT["vault_zot_ci_password"])),
        ("/etc/ssl/zot/ca.crt", str(ca_cert)),
        ("/var/lib/zotops/zot-ci.key", str(walked.key_file)),
    ])
    # No GitHub here: the guide's second store is dropped, the file store stays.
    lines = rotation.splitlines()
    github = [line for line in lines if "type: github" in line]
    assert len(github) == 1, rotation
    (project / "zot-ci-rotation.yml").write_text("\n".join(line for line in lines if line not in github) + "\n")
    (project / "zot-ci-rotation.yml").chmod(0o600)

    lines3, _found = _guide_commands(parts, "3")
    check, apply = _playbook_lines(lines3, "sso-keycloak.yml")
    walked.run("apikey check", check)
    walked.run("apikey apply", apply)
    if walked.results["apikey apply"].rc == 0:
        walked.start_zot()  # zot_service_manager: none: the user restarts zot
    rotate_check, rotate = _playbook_lines(lines3, "zotops.zot.rotate_api_key")
    assert "--check" in rotate_check
    # `-i localhost,`: Ansible would look for a Python; this machine's is the venv's.
    interpreter = ["-e", f"ansible_python_interpreter={venv_bin('python')}",
                   "-e", f"zot_apikey_journal_path={host.root.parent / 'rotation.journal'}"]
    walked.run("rotation check", rotate_check + interpreter)
    walked.key_dir_after_check = walked.key_file.parent.exists()
    walked.run("rotation", rotate + interpreter)


def _push_image(url, repo, auth):
    """Blobs of a tiny image, uploaded in one request each; returns the manifest to PUT."""
    layer = secrets.token_bytes(64)
    config = b"{}"
    for blob in (layer, config):
        response = requests.post(f"{url}/v2/{repo}/blobs/uploads/", params={"digest": guide.digest_of(blob)},
                                 data=blob, headers={"Content-Type": "application/octet-stream"}, auth=auth,
                                 verify=False, timeout=30)
        assert response.status_code == 201, f"{response.status_code} {response.text}"
    return json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": guide.digest_of(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": guide.digest_of(layer),
                    "size": len(layer)}],
    }).encode()


def _put_manifest(url, repo, tag, manifest, auth):
    return requests.put(f"{url}/v2/{repo}/manifests/{tag}", data=manifest, headers={"Content-Type": MANIFEST},
                        auth=auth, verify=False, timeout=30)
