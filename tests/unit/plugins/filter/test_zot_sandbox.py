"""zotops.zot.zot_sandbox_paths: what zot reads and writes, against the unit's ReadWritePaths."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.zot_sandbox import zot_sandbox_paths

CONFIG = {
    "storage": {"rootDirectory": "/var/lib/zot",
                "subPaths": {"/team": {"rootDirectory": "/srv/team"}, "/s3": {"rootDirectory": "/x", "storageDriver": {"name": "s3"}}}},
    "http": {"tls": {"cert": "/home/ops/tls.crt", "key": "/home/ops/tls.key"},
             "auth": {"htpasswd": {"path": "/etc/zot/htpasswd"}}},
    "log": {"output": "/var/log/zot/zot.log", "audit": "/srv/audit/audit.log"},
}


def test_lists_written_directories_and_read_files():
    paths = zot_sandbox_paths(CONFIG, extra_read=["/etc/zot/s3-credentials"])
    assert paths["write"] == [
        {"key": "storage.rootDirectory", "path": "/var/lib/zot"},
        {"key": "storage.subPaths./team.rootDirectory", "path": "/srv/team"},  # object storage has no directory
        {"key": "log.output", "path": "/var/log/zot"},
        {"key": "log.audit", "path": "/srv/audit"},
    ]
    assert sorted(paths["read"]) == ["/etc/zot/htpasswd", "/etc/zot/s3-credentials", "/home/ops/tls.crt",
                                     "/home/ops/tls.key"]


def test_writes_under_no_writable_directory_are_named():
    unwritable = zot_sandbox_paths(CONFIG, ["/var/lib/zot", "/var/log/zot", "/srv/team/"])["unwritable"]
    assert unwritable == [{"key": "log.audit", "path": "/srv/audit"}]
    # A sibling with a common prefix is not inside.
    assert zot_sandbox_paths({"storage": {"rootDirectory": "/var/lib/zot2"}}, ["/var/lib/zot"])["unwritable"]


def test_relative_writable_path_is_refused_naming_the_variable():
    with pytest.raises(AnsibleFilterError, match="zot_systemd_read_write_paths: .* absolute path, got 'srv'"):
        zot_sandbox_paths(CONFIG, ["srv"])
