"""zotops.zot.zot_binary_specs: the release binary, its SHA-256 record and link that zot_install_state compares,
for the host's platform or (a play without facts) each candidate, named as the server role names them."""
import hashlib
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.plugins.filter.core import regex_replace

from ansible_collections.zotops.zot.plugins.filter.zot_config import zot_binary_specs

AMD, ARM = "a" * 64, "b" * 64
CHECKSUMS = f"{AMD} *zot-linux-amd64\n{ARM} *zot-linux-arm64\n"
ROLE_VARS = Path(__file__).resolve().parents[4] / "roles" / "server" / "vars" / "main.yml"


def record(digest, name):
    return hashlib.sha256(f"{digest}  {name}\n".encode()).hexdigest()


def test_one_platform_entries_carry_no_platform():
    specs = zot_binary_specs(["linux-amd64"], "/usr/local/lib/zot/", "2.1.20", link="/usr/local/bin/zot",
                             checksums=CHECKSUMS)
    binary = "/usr/local/lib/zot/zot-v2.1.20-linux-amd64"
    assert specs["files"] == [
        {"path": binary, "owner": "root", "group": "root", "mode": "0755", "sha256": AMD, "stamp": binary + ".sha256"},
        {"path": binary + ".sha256", "owner": "root", "group": "root", "mode": "0644",
         "sha256": record(AMD, "zot-v2.1.20-linux-amd64")}]
    assert specs["links"] == [{"path": "/usr/local/bin/zot", "target": binary}]


def test_candidates_each_name_their_platform_and_the_release_digest_of_it():
    specs = zot_binary_specs(["linux-amd64", "linux-arm64"], "/opt/zot", "2.1.20", variant="minimal",
                             owner="root", group="wheel", link="/usr/bin/zot",
                             checksums=CHECKSUMS.replace("linux-amd64", "linux-amd64-minimal"))
    assert [(f["platform"], f["path"], f.get("sha256")) for f in specs["files"]] == [
        ("linux-amd64", "/opt/zot/zot-v2.1.20-linux-amd64-minimal", AMD),
        ("linux-amd64", "/opt/zot/zot-v2.1.20-linux-amd64-minimal.sha256", record(AMD, "zot-v2.1.20-linux-amd64-minimal")),
        # No line for linux-arm64-minimal: its content is not compared, and it has no record.
        ("linux-arm64", "/opt/zot/zot-v2.1.20-linux-arm64-minimal", None)]
    assert {f["group"] for f in specs["files"]} == {"wheel"}
    assert [(link["platform"], link["target"]) for link in specs["links"]] == [
        ("linux-amd64", "/opt/zot/zot-v2.1.20-linux-amd64-minimal"), ("linux-arm64", "/opt/zot/zot-v2.1.20-linux-arm64-minimal")]


def test_a_given_checksum_applies_to_every_platform_and_no_checksums_means_no_digest():
    given = zot_binary_specs(["linux-amd64", "linux-arm64"], "/opt/zot", "2.1.20", sha256="c" * 64)
    assert [f.get("sha256") for f in given["files"] if not f["path"].endswith(".sha256")] == ["c" * 64] * 2
    assert given["links"] == []
    unknown = zot_binary_specs(["linux-amd64"], "/opt/zot", "2.1.20")
    assert unknown["files"] == [{"path": "/opt/zot/zot-v2.1.20-linux-amd64", "owner": "root", "group": "root",
                                 "mode": "0755"}]


@pytest.mark.parametrize("platforms", ["linux-amd64", [], None])
def test_platforms_must_be_a_list(platforms):
    with pytest.raises(AnsibleFilterError, match="list of Go platforms"):
        zot_binary_specs(platforms, "/opt/zot", "2.1.20")


@pytest.mark.parametrize("install_dir", ["/opt/zot", "/opt/zot/"])
@pytest.mark.parametrize("variant", ["full", "minimal"])
def test_the_binary_is_where_the_role_installs_it(variant, install_dir):
    """The role names the installed binary in vars/main.yml (_zot_installed_binary): the same path, as one
    string (the link and the install compare it with what the read found), a trailing slash on zot_install_dir
    included."""
    role_vars = yaml.safe_load(ROLE_VARS.read_text())
    facts = {"system": "Linux", "architecture": "aarch64"}
    env = jinja2.Environment()
    env.filters["regex_replace"] = regex_replace
    context = {"ansible_facts": facts, "zot_install_dir": install_dir, "zot_version": "2.1.20", "zot_variant": variant,
               "_zot_go_arch_map": role_vars["_zot_go_arch_map"]}
    for name in ("_zot_go_os", "_zot_go_arch", "_zot_go_platform"):
        context[name] = env.from_string(role_vars[name]).render(context)
    installed = env.from_string(role_vars["_zot_installed_binary"]).render(context)
    specs = zot_binary_specs(["linux-arm64"], install_dir, "2.1.20", variant=variant)
    assert specs["files"][0]["path"] == installed
    # zotops.zot.zot_install_plan picks the host's binary (its expected SHA-256) from ``binaries``.
    assert specs["binaries"] == {"linux-arm64": installed}
