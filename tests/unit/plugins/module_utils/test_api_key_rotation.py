"""The rotation engine's steps (read, create, set, test, finish, rollback, recover) with local-file
stores and a small HTTP server speaking zot's /zot/auth/apikey contract as read from zot v2.1.20
(pkg/api/routes.go, pkg/api/authn.go, pkg/meta/boltdb). The real-zot end-to-end tests are in
tests/integration/api_keys."""
import base64
import datetime
import hashlib
import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import _api_key_rotation, zot_api
from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import FileStore, SecretStoreError
from ansible_collections.zotops.zot.plugins.module_utils._api_key_rotation import (
    Journal, Rotation, RotationError, parse_time, rotation_due)
from ansible_collections.zotops.zot.plugins.module_utils.zot_api import ZotClient


class ZotDouble:
    """Users with passwords; keys per user; basic auth by password or user:zak_..."""

    def __init__(self, users):
        self.users = users
        self.keys = {}  # secret -> details (with 'user')
        self.fail = {}  # (method, path) -> status to force
        self.push_allowed = True
        self.blobs, self.sessions = set(), set()
        double = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _reply(self, status, doc=None, headers=None):
                data = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _user(self):
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Basic "):
                    return None
                user, secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                if double.users.get(user) == secret:
                    return user
                key = double.keys.get(secret)
                if key and key["user"] == user:
                    exp = parse_time(key["expirationDate"])
                    if exp is None or exp > datetime.datetime.now(datetime.timezone.utc):
                        return user
                return None

            def _any(self):
                parts = urlsplit(self.path)
                forced = double.fail.get((self.command, parts.path))
                if forced:
                    return self._reply(forced)
                user = self._user()
                if user is None:
                    return self._reply(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                if parts.path == "/v2/":
                    return self._reply(200, {})
                if parts.path == "/zot/auth/apikey":
                    if self.command == "GET":
                        mine = [dict((k, v) for k, v in d.items() if k != "user") for d in double.keys.values() if d["user"] == user]
                        return self._reply(200, {"apiKeys": mine})
                    if self.command == "POST":
                        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                        if body.get("expirationDate") and parse_time(body["expirationDate"]) < datetime.datetime.now(datetime.timezone.utc):
                            return self._reply(400)
                        secret = "zak_" + uuid.uuid4().hex
                        details = {"createdAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
                                   "expirationDate": body.get("expirationDate") or "0001-01-01T00:00:00Z", "isExpired": False,
                                   "creatorUa": "t", "generatedBy": "manual", "lastUsed": "0001-01-01T00:00:00Z",
                                   "label": body["label"], "scopes": body.get("scopes"), "uuid": str(uuid.uuid4()), "user": user}
                        double.keys[secret] = details
                        out = dict((k, v) for k, v in details.items() if k != "user")
                        out["apiKey"] = secret
                        return self._reply(201, out)
                    if self.command == "DELETE":
                        ids = parse_qs(parts.query).get("id", [])
                        if len(ids) != 1:
                            return self._reply(400)
                        for s in [s for s, d in double.keys.items() if d["uuid"] == ids[0] and d["user"] == user]:
                            del double.keys[s]
                        return self._reply(200)
                if parts.path.endswith("/blobs/uploads/") and self.command == "POST":
                    if not double.push_allowed:
                        return self._reply(403)
                    digest = parse_qs(parts.query).get("digest", [None])[0]
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    if digest:  # monolithic upload, as zot v2.1.20 answers it
                        if digest != "sha256:" + hashlib.sha256(body).hexdigest():
                            return self._reply(400)
                        double.blobs.add((parts.path, digest))
                        return self._reply(201)
                    double.sessions.add(parts.path + "session-1")
                    return self._reply(202, headers={"Location": parts.path + "session-1"})
                if "/blobs/uploads/" in parts.path and self.command == "DELETE":
                    # a [read, create] tier has no delete: zot v2.1.20 answers 403
                    return self._reply(403)
                return self._reply(404)

            do_GET = do_POST = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def labelled(self, label):
        return [d for d in self.keys.values() if d["label"] == label]

    def secret_of(self, key_uuid):
        return next(s for s, d in self.keys.items() if d["uuid"] == key_uuid)


@pytest.fixture
def zot():
    double = ZotDouble({"ci": "ci-password"})
    yield double
    double.stop()


def client(zot, **auth):
    auth = auth or {"password": "ci-password"}
    return ZotClient(zot.url, username="ci", **auth)


def file_store(tmp_path, name="a"):
    return FileStore({"type": "file", "path": str(tmp_path / name), "mode": "0600"})


def test_rotate_twice_leaves_one_key_in_every_store(zot, tmp_path):
    stores = [file_store(tmp_path, "a"), file_store(tmp_path, "b")]
    first, secret1 = Rotation(client(zot), "ci", stores, expiration_date=_api_key_rotation.expiration_from_days(90)).run()
    assert (tmp_path / "a").read_text() == secret1 + "\n"
    assert oct(os.stat(tmp_path / "a").st_mode & 0o777) == "0o600"
    second, secret2 = Rotation(client(zot), "ci", stores).run()
    assert [k["uuid"] for k in zot.labelled("ci")] == [second["uuid"]]
    assert (tmp_path / "b").read_text() == secret2 + "\n"
    assert "apiKey" not in second


def test_a_key_makes_its_own_successor_and_the_old_one_is_revoked(zot, tmp_path):
    old = Rotation(client(zot), "ci", [file_store(tmp_path)]).run()[1]
    rot = Rotation(client(zot, api_key=old), "ci", [file_store(tmp_path)], test_push_repository="ci/probe")
    new_doc, new = rot.run(previous_value=old)
    assert old not in zot.keys and new in zot.keys
    # the push test stored the 2-byte probe blob and left no upload session (no delete needed)
    assert zot.blobs == {("/v2/ci/probe/blobs/uploads/", zot_api.PROBE_DIGEST)} and not zot.sessions
    assert rot.result["steps"] == ["read", "create", "set", "test", "finish"]


def test_unreachable_store_fails_before_any_key_is_made(zot, tmp_path):
    bad = FileStore({"type": "file", "path": str(tmp_path / "missing-dir" / "k")})
    Rotation(client(zot), "ci", [file_store(tmp_path)]).run()
    before = dict(zot.keys)

    class Down(FileStore):
        def read(self):
            raise SecretStoreError("%s: cannot reach it" % self.label)

    with pytest.raises(RotationError) as err:
        Rotation(client(zot), "ci", [Down(bad.spec)]).run()
    assert err.value.step == "read"
    assert zot.keys == before


def test_file_store_in_a_new_directory_and_one_that_cannot_be_made(zot, tmp_path):
    new = FileStore({"type": "file", "path": str(tmp_path / "new-dir" / "k")})
    _doc, secret = Rotation(client(zot), "ci", [new]).run()
    assert (tmp_path / "new-dir" / "k").read_text() == secret + "\n"
    assert oct(os.stat(tmp_path / "new-dir").st_mode & 0o777) == "0o700"
    before = dict(zot.keys)
    (tmp_path / "a-file").write_text("")
    blocked = FileStore({"type": "file", "path": str(tmp_path / "a-file" / "sub" / "k")})
    with pytest.raises(RotationError) as err:
        Rotation(client(zot), "ci", [blocked], journal=Journal(str(tmp_path / "journal"))).run()
    # Found before a key is made, and the store is named once.
    assert err.value.step == "read"
    assert zot.keys == before
    assert str(err.value).count("file:") == 1, str(err.value)


def test_store_write_failure_rolls_back(zot, tmp_path):
    good = file_store(tmp_path, "good")
    old = Rotation(client(zot), "ci", [good]).run()[1]
    os.makedirs(tmp_path / "ro")
    bad = FileStore({"type": "file", "path": str(tmp_path / "ro" / "k")})
    (tmp_path / "ro" / "k").write_text(old + "\n")
    os.chmod(tmp_path / "ro", 0o500)
    try:
        if os.geteuid() == 0:  # root ignores the mode: make the write fail another way
            bad.write = lambda value: (x for x in ()).throw(SecretStoreError("file:ro: cannot write: denied"))
        with pytest.raises(RotationError) as err:
            Rotation(client(zot), "ci", [good, bad]).run()
    finally:
        os.chmod(tmp_path / "ro", 0o700)
    assert err.value.step == "set"
    assert "ro" in str(err.value) and old not in str(err.value)
    assert [s for s, d in zot.keys.items() if d["label"] == "ci"] == [old], "no orphan key, old key kept"
    assert (tmp_path / "good").read_text() == old + "\n", "store restored to the old, valid key"


@pytest.mark.parametrize("step", ["test"])
def test_new_key_failing_its_test_rolls_back(zot, tmp_path, step):
    store = file_store(tmp_path)
    old = Rotation(client(zot), "ci", [store]).run()[1]
    zot.push_allowed = False
    with pytest.raises(RotationError) as err:
        Rotation(client(zot), "ci", [store], test_push_repository="ci/probe").run()
    assert err.value.step == "test" and "push test" in str(err.value)
    assert [s for s, d in zot.keys.items() if d["label"] == "ci"] == [old]
    assert store.read().value == old


def test_zot_down_after_create_is_cleaned_up_by_the_next_run(tmp_path):
    zot = ZotDouble({"ci": "ci-password"})
    store = file_store(tmp_path)
    journal = Journal(str(tmp_path / "journal"))
    old = Rotation(client(zot), "ci", [store], journal=journal).run()[1]

    def kill_after_set(step):
        if step == "test":
            zot.fail[("GET", "/zot/auth/apikey")] = 503  # zot down: every route fails
            zot.fail[("DELETE", "/zot/auth/apikey")] = 503

    with pytest.raises(RotationError) as err:
        Rotation(client(zot), "ci", [store], journal=journal, fault=kill_after_set, retry_delay=0.01).run()
    assert err.value.step == "test"
    assert "could NOT be revoked" in str(err.value)
    assert store.read().value == old, "the store holds the old, valid key"
    assert len(zot.labelled("ci")) == 2 and journal.pending()
    zot.fail.clear()  # zot is back
    rot = Rotation(client(zot), "ci", [store], journal=journal)
    rot.recover()
    assert [s for s, d in zot.keys.items() if d["label"] == "ci"] == [old]
    assert journal.pending() == [] and not os.path.exists(journal.path)
    zot.stop()


def test_finish_failure_keeps_the_working_new_key(zot, tmp_path):
    store = file_store(tmp_path)
    Rotation(client(zot), "ci", [store]).run()

    def deny_delete(step):
        if step == "finish":
            zot.fail[("DELETE", "/zot/auth/apikey")] = 500

    with pytest.raises(RotationError) as err:
        Rotation(client(zot), "ci", [store], fault=deny_delete, retry_delay=0.01).run()
    assert err.value.step == "finish"
    new = store.read().value
    assert new in zot.keys


def test_rotation_due_from_expiry_dates():
    now = datetime.datetime(2026, 1, 1, tzinfo=_api_key_rotation.UTC)
    keys = [{"uuid": "a", "expirationDate": "2026-01-10T00:00:00Z", "isExpired": False}]
    assert rotation_due(keys, 30, now)[0] is True
    assert rotation_due(keys, 5, now)[0] is False
    assert rotation_due([{"uuid": "b", "expirationDate": "0001-01-01T00:00:00Z"}], 30, now)[0] is False
    assert rotation_due([], 30, now) == (True, "no key with this label", None)
    assert parse_time("2026-01-10T01:00:00.123456789+01:00") == datetime.datetime(2026, 1, 10, 0, 0, 0, 123456, tzinfo=_api_key_rotation.UTC)
