"""zot_host: the checks zotops.zot.zot_config_check runs, and what zot_install_state compares."""
import grp
import hashlib
import json
import os
import pwd
import socket

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import zot_host
from ansible_collections.zotops.zot.plugins.module_utils.zot_host import (
    HostCheck, HostCheckError, ServiceUser, credentials_text, install_state, verifiable_copy)

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def config(tmp_path, **http):
    return {"storage": {"rootDirectory": str(tmp_path / "data")},
            "http": dict({"address": "127.0.0.1", "port": "0"}, **http),
            "log": {"level": "info", "output": str(tmp_path / "log" / "zot.log"), "audit": str(tmp_path / "audit.log")}}


class FakeZot:
    """Records what would run; `verify` answers like zot v2.1.20 does on a bad config."""

    def __init__(self, verify_rc=0, verify_out='{"level":"info","message":"config file is valid"}\n'):
        self.calls = []
        self.verify_rc, self.verify_out = verify_rc, verify_out
        self.verified = None

    def __call__(self, argv, **kwargs):
        self.calls.append(argv)
        if argv[1] == "verify":
            with open(argv[2]) as handle:
                self.verified = json.load(handle)
            return self.verify_rc, self.verify_out
        return zot_host.HostCheck._run(argv, **kwargs)


def check(tmp_path, cfg, runner=None, **kwargs):
    binary = tmp_path / "zot"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    (tmp_path / "log").mkdir(exist_ok=True)
    return HostCheck(str(binary), cfg, ServiceUser(ME), run_command=runner or FakeZot(), **kwargs)


def test_credentials_text_is_sorted_indented_and_ends_with_a_newline():
    assert credentials_text({"clientsecret": "s", "clientid": "zot"}) == \
        '{\n    "clientid": "zot",\n    "clientsecret": "s"\n}\n'
    assert credentials_text("as is") == "as is"


def test_verifiable_copy_drops_log_outputs_and_points_at_staged_files(tmp_path):
    cfg = config(tmp_path, auth={"htpasswd": {"path": "/etc/zot/htpasswd"}})
    copy = verifiable_copy(cfg, {"/etc/zot/htpasswd": "/tmp/staged-htpasswd"})
    assert copy["log"] == {"level": "info"}
    assert copy["http"]["auth"]["htpasswd"]["path"] == "/tmp/staged-htpasswd"
    assert cfg["log"]["output"].endswith("zot.log")  # the candidate itself is untouched


def test_zot_verify_never_sees_the_log_file_and_reads_staged_credentials(tmp_path):
    cfg = config(tmp_path, auth={"openid": {"providers": {"oidc": {"credentialsFile": "/etc/zot/oidc.json"}}}})
    runner = FakeZot()
    result = check(tmp_path, cfg, runner, staged_files={"/etc/zot/oidc.json": '{"clientid": "a"}\n'}).run()
    assert "zot verify: valid" in result["checked"]
    assert "output" not in runner.verified["log"] and "audit" not in runner.verified["log"]
    staged = runner.verified["http"]["auth"]["openid"]["providers"]["oidc"]["credentialsFile"]
    assert staged != "/etc/zot/oidc.json" and not os.path.exists(staged)  # removed after verify
    assert not (tmp_path / "log" / "zot.log").exists()


def test_a_missing_file_is_named_with_its_config_key(tmp_path):
    cfg = config(tmp_path, tls={"cert": str(tmp_path / "nope.crt"), "key": str(tmp_path / "nope.key")})
    with pytest.raises(HostCheckError) as error:
        check(tmp_path, cfg).run()
    assert error.value.cause == "missing_file"
    assert "http.tls.cert" in error.value.message and "nope.crt" in error.value.message


def test_a_tls_pair_that_does_not_load_is_refused(tmp_path):
    (tmp_path / "bad.crt").write_text("not a certificate")
    (tmp_path / "bad.key").write_text("not a key")
    cfg = config(tmp_path, tls={"cert": str(tmp_path / "bad.crt"), "key": str(tmp_path / "bad.key")})
    with pytest.raises(HostCheckError) as error:
        check(tmp_path, cfg).run()
    assert error.value.cause == "tls"


def test_a_port_taken_by_another_program_is_refused(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        cfg = config(tmp_path, port=str(taken.getsockname()[1]))
        with pytest.raises(HostCheckError) as error:
            check(tmp_path, cfg).run()
        assert error.value.cause == "port" and "already in use" in error.value.message
        # The same address in the live config: the running zot holds it, nothing is probed.
        result = check(tmp_path, cfg, live_config=cfg).run()
        assert any("the running zot uses it" in s for s in result["skipped"])


def test_verify_errors_keep_zot_s_final_error_not_its_whole_log(tmp_path):
    out = ('{"level":"error","message":"failed to unmarshal new config","error":"decoding failed","func":"x"}\n'
           "Error: decoding failed due to the following error(s):\n\n'Storage' has invalid keys: garbagecollect\n")
    with pytest.raises(HostCheckError) as error:
        check(tmp_path, config(tmp_path), FakeZot(verify_rc=1, verify_out=out)).run()
    assert error.value.cause == "verify"
    assert error.value.message == ("zot verify rejected the configuration: Error: decoding failed due to the "
                                   "following error(s): 'Storage' has invalid keys: garbagecollect")


def test_directories_this_run_creates_count_as_writable_in_check_mode(tmp_path):
    cfg = config(tmp_path)
    cfg["storage"]["rootDirectory"] = str(tmp_path / "new" / "data")
    cfg["log"]["output"] = str(tmp_path / "new-log" / "zot.log")
    result = check(tmp_path, cfg, staged_dirs=[str(tmp_path / "new"), str(tmp_path / "new-log")]).run()
    assert any("in a directory this run creates or hands to" in c and "new/data" in c for c in result["checked"])


def test_an_unknown_user_skips_what_needs_it(tmp_path):
    host_check = check(tmp_path, config(tmp_path))
    host_check.user = ServiceUser("zotops-no-such-user")
    result = host_check.run()
    assert any("does not exist yet" in s for s in result["skipped"])


def test_install_state_names_only_what_differs(tmp_path):
    same, other = tmp_path / "same.json", tmp_path / "other.json"
    same.write_text("a\n")
    other.write_text("b\n")
    same.chmod(0o640)
    other.chmod(0o640)
    (tmp_path / "dir").mkdir(mode=0o750)
    (tmp_path / "dir").chmod(0o750)
    (tmp_path / "link").symlink_to(same)
    sha = hashlib.sha256(b"a\n").hexdigest()
    state = install_state(
        directories=[{"path": str(tmp_path / "dir"), "owner": ME, "group": MY_GROUP, "mode": "0750"},
                     {"path": str(tmp_path / "missing"), "mode": "0750"},
                     {"path": str(tmp_path / "dir"), "mode": "0700"}],
        files=[{"path": str(same), "owner": ME, "mode": "0640", "sha256": sha},
               {"path": str(other), "owner": ME, "mode": "0640", "sha256": sha},
               {"path": str(tmp_path / "nofile"), "mode": "0600"}],
        links=[{"path": str(tmp_path / "link"), "target": str(same)},
               {"path": str(tmp_path / "nolink"), "target": str(same)}],
        read=[str(same), str(tmp_path / "nofile")])
    assert state["directories"] == [str(tmp_path / "missing"), str(tmp_path / "dir")]
    assert state["files"] == [str(other), str(tmp_path / "nofile")]
    assert state["links"] == [str(tmp_path / "nolink")]
    assert state["link_targets"] == {str(tmp_path / "link"): str(same), str(tmp_path / "nolink"): None}
    assert state["content"] == {str(same): "a\n"}


def test_install_state_trusts_a_stamp_only_while_the_file_is_unchanged_since(tmp_path):
    """A stamp written after the file spares hashing it (here the content does not even match, to show it
    was not read); once the file changed after the stamp, or the stamp names another digest, it is hashed."""
    binary, stamp = tmp_path / "zot", tmp_path / "zot.sha256"
    binary.write_bytes(b"not the release\n")
    wanted = hashlib.sha256(b"the release\n").hexdigest()
    stamp.write_text(wanted + "  zot\n")
    stamp.chmod(0o644)
    spec = {"path": str(binary), "sha256": wanted, "stamp": str(stamp)}
    assert install_state(files=[spec])["files"] == []
    # The stamp names another digest: hashed, and found different.
    assert install_state(files=[dict(spec, sha256=hashlib.sha256(b"other\n").hexdigest())])["files"] == [str(binary)]
    # The file changed after the stamp was written (its ctime is newer than the stamp's mtime): hashed.
    past = binary.stat().st_ctime_ns - 10**9
    os.utime(stamp, ns=(past, past))
    assert install_state(files=[spec])["files"] == [str(binary)]
    # A stamp others may write vouches for nothing.
    os.utime(stamp, None)
    stamp.chmod(0o666)
    assert install_state(files=[spec])["files"] == [str(binary)]
    # Without a stamp the file is hashed as before.
    binary.write_bytes(b"the release\n")
    assert install_state(files=[{"path": str(binary), "sha256": wanted}])["files"] == []
