"""zotops.zot.zot_install_plan's logic (plugin_utils/_install_plan.py): what the read is given, and what a server role
run writes decided from what the read found."""
import hashlib

import pytest

from ansible_collections.zotops.zot.plugins.plugin_utils._install_plan import decide, read_args

BINARY = "/usr/local/lib/zot/zot-v2.1.20-linux-amd64"
ARM = "/usr/local/lib/zot/zot-v2.1.20-linux-arm64"
CREDENTIALS = [{"path": "/etc/zot/s3-credentials", "kind": "s3", "content": "AWS_SECRET=x\n"},
               {"path": "/etc/zot/session-keys.json", "kind": "session", "content": "{}\n"}]
HTPASSWD = {"path": "/etc/zot/htpasswd", "users": [{"name": "ci", "password": "pw"}], "rounds": 5, "exclusive": True}


def wanted(**over):
    base = {"files": [{"path": BINARY, "mode": "0755", "sha256": "a" * 64, "platform": "linux-amd64"},
                      {"path": ARM, "mode": "0755", "sha256": "b" * 64, "platform": "linux-arm64"},
                      {"path": "/etc/zot/config.json", "mode": "0640", "sha256": "c" * 64}],
            "links": [{"path": "/usr/local/bin/zot", "target": BINARY}], "read": ["/etc/zot/config.json"],
            "systemd_unit": "zot", "binaries": {"linux-amd64": BINARY, "linux-arm64": ARM},
            "credentials": CREDENTIALS, "htpasswd": HTPASSWD, "unwritable": []}
    base.update(over)
    return base


def state(files=(), directories=(), links=(), content=None):
    return {"files": list(files), "directories": list(directories), "links": list(links), "content": content or {}}


def no_htpasswd(existing, spec):
    raise AssertionError("the htpasswd file was computed without one")


def test_the_read_is_given_the_secret_files_owner_only_and_reads_the_htpasswd_file():
    args = read_args(wanted(), "zot", "zot", [{"path": "/etc/zot"}], gather_facts=True)
    by_path = {entry["path"]: entry for entry in args["files"]}
    assert by_path["/etc/zot/s3-credentials"] == {
        "path": "/etc/zot/s3-credentials", "owner": "zot", "group": "zot", "mode": "0600",
        "sha256": hashlib.sha256(b"AWS_SECRET=x\n").hexdigest()}
    # The htpasswd file's hashes are salted: its text is read and compared on the controller, not its digest.
    assert by_path["/etc/zot/htpasswd"] == {"path": "/etc/zot/htpasswd", "owner": "zot", "group": "zot", "mode": "0600"}
    assert args["read"] == ["/etc/zot/config.json", "/etc/zot/htpasswd"]
    assert args["gather_facts"] is True and args["systemd_unit"] == "zot" and args["directories"] == [{"path": "/etc/zot"}]
    # Nothing secret goes to the host: the credentials' content stays on the controller.
    assert "AWS_SECRET" not in repr(args)
    assert "systemd_unit" not in read_args(wanted(systemd_unit=None, htpasswd=None), "zot", "zot", [], False)


@pytest.mark.parametrize("platform, differs, needed, expected", [
    ("linux-amd64", [], False, "a" * 64),           # installed and unchanged: nothing from the controller
    ("linux-amd64", [BINARY], True, "a" * 64),       # differs: copied
    ("linux-arm64", [], False, "b" * 64),           # the host's own platform's binary and checksum
    ("freebsd-riscv64", [], True, ""),              # no release for it: the role's platform check refuses it
    (None, [], True, ""),
])
def test_the_binary_is_copied_only_where_it_differs_or_is_unknown(platform, differs, needed, expected):
    plan = decide(wanted(htpasswd=None), state(files=differs), platform, no_htpasswd)
    assert (plan["binary_needed"], plan["expected_sha256"]) == (needed, expected)
    assert plan["differs"] is (needed or bool(differs))


def test_a_binary_without_a_known_checksum_is_fetched_and_checked_there():
    files = [{"path": BINARY, "mode": "0755", "platform": "linux-amd64"}]
    plan = decide(wanted(files=files, htpasswd=None), state(), "linux-amd64", no_htpasswd)
    assert plan["binary_needed"] is True and plan["expected_sha256"] == ""


def test_only_the_credentials_files_that_differ_are_written():
    plan = decide(wanted(htpasswd=None), state(files=["/etc/zot/session-keys.json"]), "linux-amd64", no_htpasswd)
    assert plan["credentials_pending"] == [CREDENTIALS[1]]
    assert plan["differs"] is True


def test_the_htpasswd_file_is_rewritten_only_when_its_text_or_mode_changes():
    current = "ci:$2b$05$kept\n"
    seen = []

    def new_htpasswd(existing, spec):
        seen.append((existing, spec["path"]))
        return current
    unchanged = decide(wanted(), state(content={"/etc/zot/htpasswd": current}), "linux-amd64", new_htpasswd)
    assert seen == [(current, "/etc/zot/htpasswd")]
    assert (unchanged["htpasswd_pending"], unchanged["htpasswd_content"], unchanged["differs"]) == (False, current, False)
    # The same text, but the file's owner or mode differs.
    chmod = decide(wanted(), state(files=["/etc/zot/htpasswd"], content={"/etc/zot/htpasswd": current}),
                   "linux-amd64", new_htpasswd)
    assert chmod["htpasswd_pending"] is True
    # A fresh host: no file yet.
    fresh = decide(wanted(), state(), "linux-amd64", lambda existing, spec: "ci:$2b$05$new\n")
    assert fresh["htpasswd_pending"] is True and fresh["htpasswd_content"] == "ci:$2b$05$new\n"
    without = decide(wanted(htpasswd=None), state(), "linux-amd64", no_htpasswd)
    assert (without["htpasswd_pending"], without["htpasswd_content"]) == (False, "")


def test_directories_and_links_that_differ_count_and_unwritable_paths_are_returned_as_given():
    unwritable = [{"key": "log.output", "path": "/srv/zot.log"}]
    plan = decide(wanted(htpasswd=None, unwritable=unwritable), state(links=["/usr/local/bin/zot"]), "linux-amd64",
                  no_htpasswd)
    assert plan["differs"] is True and plan["unwritable"] == unwritable
    assert decide(wanted(htpasswd=None), state(directories=["/etc/zot"]), "linux-amd64", no_htpasswd)["differs"] is True
