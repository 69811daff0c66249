"""install_state: what zotops.zot.zot_install_state compares on the host, reading only."""
import grp
import hashlib
import os
import pwd

from ansible_collections.zotops.zot.plugins.module_utils.install_state import install_state

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


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
