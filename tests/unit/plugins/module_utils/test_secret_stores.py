"""The local-file store and the shared store behaviour."""
import os

import pytest

from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import (
    FileStore, SecretStoreError, Snapshot, build_store)

VALUE = "zak_" + "s" * 40


def test_file_write_is_atomic_0600_and_idempotent(tmp_path):
    path = tmp_path / "key"
    store = build_store({"type": "file", "path": str(path)})
    assert store.read().exists is False
    assert store.ensure(VALUE)["changed"] is True
    assert path.read_text() == VALUE + "\n"
    assert os.stat(path).st_mode & 0o777 == 0o600
    inode = os.stat(path).st_ino
    assert store.ensure(VALUE)["changed"] is False
    assert os.stat(path).st_ino == inode, "a no-op rewrote the file"
    assert [p.name for p in tmp_path.iterdir()] == ["key"], "no temporary file left behind"


def test_file_mode_drift_is_fixed(tmp_path):
    path = tmp_path / "key"
    store = build_store({"type": "file", "path": str(path), "mode": "0640"})
    store.ensure(VALUE)
    os.chmod(path, 0o644)
    res = store.ensure(VALUE, check_mode=True)
    assert res["changed"] and os.stat(path).st_mode & 0o777 == 0o644
    store.ensure(VALUE)
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_file_check_mode_writes_nothing(tmp_path):
    store = build_store({"type": "file", "path": str(tmp_path / "key")})
    assert store.ensure(VALUE, check_mode=True)["changed"] is True
    assert not (tmp_path / "key").exists()


def test_file_restore(tmp_path):
    store = build_store({"type": "file", "path": str(tmp_path / "key")})
    absent = store.read()
    store.write("old")
    old = store.read()
    store.write(VALUE)
    store.restore(old)
    assert store.read().value == "old"
    store.restore(absent)
    assert not (tmp_path / "key").exists()


def test_errors_never_carry_the_value(tmp_path):
    (tmp_path / "a-file").write_text("")
    store = build_store({"type": "file", "path": str(tmp_path / "a-file" / "sub" / "key")})
    with pytest.raises(SecretStoreError) as err:
        store.write(VALUE)
    assert "is not a directory" in str(err.value) and VALUE not in str(err.value)
    with pytest.raises(SecretStoreError, match="is not a directory"):
        store.check_writable()


def test_file_store_creates_its_missing_directory_0700(tmp_path):
    path = tmp_path / "new" / "deeper" / "key"
    store = build_store({"type": "file", "path": str(path)})
    store.check_writable()  # a missing directory under a writable one is fine
    store.write(VALUE)
    assert path.read_text() == VALUE + "\n"
    for directory in (tmp_path / "new", tmp_path / "new" / "deeper"):
        assert directory.stat().st_mode & 0o7777 == 0o700
    assert VALUE not in repr(Snapshot(True, VALUE, True))


def test_unknown_type_and_bad_mode():
    with pytest.raises(SecretStoreError, match="type must be one of"):
        build_store({"type": "s3"})
    with pytest.raises(SecretStoreError, match="octal"):
        FileStore({"type": "file", "path": "/tmp/x", "mode": "rw"}).write(VALUE)


def test_defaults_of_other_types_are_ignored(tmp_path):
    # what AnsibleModule hands over: every suboption, defaults filled in
    spec = {"type": "github", "token": "t", "secret_name": "S", "org": "o", "mode": "0600", "mount": "secret",
            "key": "value", "field": "password", "secret_type": "Opaque", "validate_certs": True, "path": None}
    store = build_store(spec)
    assert "mode" not in store.spec and store.spec["validate_certs"] is True
