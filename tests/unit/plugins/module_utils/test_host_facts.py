"""host_facts: the platform, service manager and user facts zot_install_state returns (a play without
facts), the same as ansible.builtin.setup gathers them on this machine, and Go's platform names."""
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.facts.system.platform import PlatformFactCollector
from ansible.module_utils.facts.system.service_mgr import ServiceMgrFactCollector
from ansible.module_utils.facts.system.user import UserFactCollector

from ansible_collections.zotops.zot.plugins.module_utils import host_facts as facts_module
from ansible_collections.zotops.zot.plugins.module_utils.host_facts import for_host, go_platform, host_facts


class _Module:
    """What setup's collectors and host_facts call on the module."""

    @staticmethod
    def get_bin_path(name, required=False, opt_dirs=None):
        return shutil.which(name)

    @staticmethod
    def run_command(args, use_unsafe_shell=False, **_kwargs):
        done = subprocess.run(args, shell=use_unsafe_shell, capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr


def test_facts_are_setups_for_this_host_without_the_dns_lookup():
    module = _Module()
    setup = PlatformFactCollector().collect(module=module)
    setup.update(ServiceMgrFactCollector().collect(module=module, collected_facts={
        "ansible_system": setup["system"], "ansible_distribution": ""}))
    setup.update(UserFactCollector().collect(module=module))
    ours = host_facts(module.get_bin_path, module.run_command)
    assert "fqdn" not in ours and "domain" not in ours
    assert ours == dict((key, value) for key, value in setup.items() if key not in ("fqdn", "domain"))


def _failing_ps(*_args, **_kwargs):
    return 1, "", ""


@pytest.mark.parametrize("comm, links, found", [
    ("systemd\n", {}, "systemd"),
    ("runit-init\n", {}, "runit"),
    # A shell or a plain `init` as PID 1 tells nothing: then the platform and what is installed decide.
    ("bash\n", {}, "sysvinit"),
    (None, {"/sbin/init": "/lib/systemd/systemd"}, "systemd"),
])
def test_service_manager_follows_setups_rules(monkeypatch, comm, links, found):
    monkeypatch.setattr(facts_module, "_read", lambda path: comm if path == "/proc/1/comm" else None)
    monkeypatch.setattr(facts_module.os.path, "islink", lambda path: path in links)
    monkeypatch.setattr(facts_module.os, "readlink", lambda path: links[path])
    monkeypatch.setattr(facts_module.os.path, "exists", lambda path: path == "/etc/init.d/")
    assert facts_module.service_mgr("Linux", lambda name: None, _failing_ps) == found


def test_darwin_without_proc_is_launchd(monkeypatch):
    monkeypatch.setattr(facts_module, "_read", lambda path: None)
    monkeypatch.setattr(facts_module.os.path, "islink", lambda path: False)
    assert facts_module.service_mgr("Darwin", lambda name: None,
                                    lambda *_args, **_kwargs: (0, "COMM\n/sbin/launchd\n", "")) == "launchd"


@pytest.mark.parametrize("system, architecture, name", [
    ("Linux", "x86_64", "linux-amd64"), ("Linux", "aarch64", "linux-arm64"), ("Darwin", "arm64", "darwin-arm64"),
    ("FreeBSD", "amd64", "freebsd-amd64"), ("Linux", "s390x", "linux-s390x"),
])
def test_go_platform_names_zots_release_assets(system, architecture, name):
    assert go_platform(system, architecture) == name


def test_entries_for_another_platform_or_service_manager_are_left_out():
    facts = {"system": "Linux", "architecture": "aarch64", "service_mgr": "systemd"}
    entries = [{"path": "/a"}, {"path": "/b", "platform": "linux-amd64"}, {"path": "/c", "platform": "linux-arm64"},
               {"path": "/d", "service_manager": "systemd"}, {"path": "/e", "service_manager": "openrc"},
               {"path": "/f", "platform": None, "service_manager": None}]
    assert [entry["path"] for entry in for_host(entries, facts)] == ["/a", "/c", "/d", "/f"]


def test_go_names_are_the_roles():
    """The server role maps architectures to Go's names in vars/main.yml (_zot_go_arch_map): the same map."""
    role_vars = Path(__file__).resolve().parents[4] / "roles" / "server" / "vars" / "main.yml"
    assert yaml.safe_load(role_vars.read_text())["_zot_go_arch_map"] == facts_module.GO_ARCH
