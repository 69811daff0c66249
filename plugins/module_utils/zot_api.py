# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small client for zot's ``/zot/auth/apikey`` API and the API key rotation engine.

Facts from zot's source (v2.1.20, pkg/api/routes.go, pkg/api/authn.go, pkg/meta/boltdb):

* ``POST /zot/auth/apikey`` body ``{"label", "scopes", "expirationDate"}`` (RFC 3339; empty
  means never expires; a date in the past or a bad format gives 400) answers 201 with the key's
  details plus ``apiKey`` (``zak_...``, shown only this once).
* ``GET /zot/auth/apikey`` answers 200 ``{"apiKeys": [{createdAt, expirationDate, isExpired,
  creatorUa, generatedBy, lastUsed, label, scopes, uuid}]}``; a key that never expires has
  ``expirationDate`` ``0001-01-01T00:00:00Z``.
* ``DELETE /zot/auth/apikey?id=<uuid>`` answers 200, also for an id the user does not have; 400
  without exactly one ``id``.
* The routes sit behind the registry's authentication: HTTP basic with an htpasswd or LDAP
  password, HTTP basic with ``<user>:zak_...`` (an expired or unknown key is refused), or the
  ``session`` cookie of an OIDC login, which zot only reads when the request also carries the
  header ``X-ZOT-API-CLIENT: zot-ui``. Anonymous requests fail (the MetaDB refuses anonymous
  users' data).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import json
import os
import re
import time

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urljoin
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text


API_KEY_PATH = '/zot/auth/apikey'
SESSION_HEADER = ('X-ZOT-API-CLIENT', 'zot-ui')
NEVER = '0001-01-01T00:00:00Z'
# The push test's blob: the JSON document {} (OCI's empty descriptor), 2 bytes.
PROBE_BLOB = b'{}'
PROBE_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

ZOT_API_ARGUMENT_SPEC = dict(
    zot_url=dict(type='str', required=True),
    username=dict(type='str'),
    password=dict(type='str', no_log=True),
    api_key=dict(type='str', no_log=True),
    session_cookie=dict(type='str', no_log=True),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    timeout=dict(type='int', default=30),
)
ZOT_API_MUTUALLY_EXCLUSIVE = [('password', 'api_key', 'session_cookie')]
ZOT_API_REQUIRED_ONE_OF = [('password', 'api_key', 'session_cookie')]


class ZotApiError(Exception):
    def __init__(self, message, status=None):
        super(ZotApiError, self).__init__(message)
        self.status = status


class ZotUnreachable(ZotApiError):
    pass


# ---------------------------------------------------------------------------------------------
# time helpers (Python 3.8: no fromisoformat for Go's nanosecond timestamps)
# ---------------------------------------------------------------------------------------------
_TS = re.compile(r'^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$')


class _UTC(datetime.tzinfo):
    def utcoffset(self, dt):
        return datetime.timedelta(0)

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        return 'UTC'


UTC = _UTC()


def parse_time(text):
    """A Go/RFC 3339 timestamp as an aware UTC datetime; None for zot's zero time or empty."""
    if not text or text.startswith('0001-01-01'):
        return None
    m = _TS.match(text.strip())
    if not m:
        raise ValueError('not an RFC 3339 timestamp: %r' % text)
    year, month, day, hour, minute, second = [int(x) for x in m.groups()[:6]]
    frac = m.group(7) or ''
    micro = int((frac[1:] + '000000')[:6]) if frac else 0
    dt = datetime.datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    tz = m.group(8)
    if tz and tz not in ('Z', 'z'):
        sign = 1 if tz[0] == '+' else -1
        offset = datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
        dt = dt - sign * offset
    return dt


def utcnow():
    return datetime.datetime.now(UTC)


def format_time(dt):
    return dt.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def days_left(key, now=None):
    """Days of validity left for a key's details (float), None if it never expires."""
    exp = parse_time(key.get('expirationDate'))
    if exp is None:
        return None
    return ((exp - (now or utcnow())).total_seconds()) / 86400.0


def public_key_details(key):
    """What a module may return about a key: never a secret (zot never lists one anyway)."""
    fields = ('uuid', 'label', 'scopes', 'createdAt', 'expirationDate', 'isExpired', 'lastUsed', 'generatedBy')
    out = dict((k, key.get(k)) for k in fields if k in key)
    if (out.get('expirationDate') or '').startswith('0001-01-01'):
        out['expirationDate'] = None
    return out


# ---------------------------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------------------------
class Response(object):
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(to_text(self.body)) if self.body else None

    def header(self, name):
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class ZotClient(object):
    """Talks to one zot as one user. ``auth`` is ('password'|'api_key'|'session_cookie', secret)."""

    def __init__(self, url, username=None, password=None, api_key=None, session_cookie=None,
                 validate_certs=True, ca_path=None, timeout=30):
        self.url = url.rstrip('/')
        self.username = username
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        if session_cookie:
            self.auth = ('session_cookie', session_cookie)
        elif api_key:
            self.auth = ('api_key', api_key)
        elif password is not None:
            self.auth = ('password', password)
        else:
            raise ZotApiError('one of password, api_key or session_cookie is required')
        if self.auth[0] != 'session_cookie' and not username:
            raise ZotApiError('username is required with %s' % self.auth[0])
        if self.auth[0] == 'api_key' and not api_key.startswith('zak_'):
            raise ZotApiError('api_key must be a zot API key (it starts with zak_)')

    @classmethod
    def from_module_params(cls, params):
        return cls(params['zot_url'], username=params.get('username'), password=params.get('password'),
                   api_key=params.get('api_key'), session_cookie=params.get('session_cookie'),
                   validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                   timeout=params.get('timeout', 30))

    def with_api_key(self, api_key):
        """The same user, authenticated by ``api_key``."""
        return ZotClient(self.url, username=self.username, api_key=api_key,
                         validate_certs=self.validate_certs, ca_path=self.ca_path, timeout=self.timeout)

    def _headers(self, auth=True):
        headers = {'Accept': 'application/json', 'User-Agent': 'zotops.zot'}
        if not auth:
            return headers
        kind, secret = self.auth
        if kind == 'session_cookie':
            cookie = secret if '=' in secret else 'session=%s' % secret
            headers['Cookie'] = cookie
            headers[SESSION_HEADER[0]] = SESSION_HEADER[1]
        else:
            token = base64.b64encode(to_bytes('%s:%s' % (self.username, secret))).decode('ascii')
            headers['Authorization'] = 'Basic %s' % token
        return headers

    def request(self, method, path, data=None, query=None, auth=True, headers=None, raw=None):
        url = path if path.startswith('http') else self.url + path
        if query:
            url += '?' + urlencode(query)
        hdrs = self._headers(auth)
        hdrs.update(headers or {})
        body = raw
        if data is not None:
            body = to_bytes(json.dumps(data))
            hdrs['Content-Type'] = 'application/json'
        try:
            resp = open_url(url, method=method, data=body, headers=hdrs, validate_certs=self.validate_certs,
                            ca_path=self.ca_path, timeout=self.timeout, follow_redirects='none')
            return Response(resp.getcode(), resp.read(), dict(resp.headers.items()))
        except HTTPError as e:
            try:
                payload = e.read()
            except Exception:
                payload = b''
            return Response(e.code, payload, dict(e.headers.items()) if e.headers else {})
        except (URLError, OSError, ValueError) as e:
            raise ZotUnreachable('cannot reach zot at %s: %s' % (self.url, to_native(getattr(e, 'reason', e))))

    @staticmethod
    def _explain(resp, action):
        if resp.status == 401:
            return 'zot refused the credentials (401) for %s' % action
        if resp.status == 404:
            return 'zot has no API key routes (404) for %s: set http.auth.apikey: true' % action
        text = to_text(resp.body or b'', errors='replace').strip()[:200]
        return 'zot answered HTTP %s to %s%s' % (resp.status, action, (': ' + text) if text else '')

    # --- /zot/auth/apikey -------------------------------------------------------------------
    def list_keys(self):
        resp = self.request('GET', API_KEY_PATH)
        if resp.status != 200:
            raise ZotApiError(self._explain(resp, 'GET %s' % API_KEY_PATH), resp.status)
        return (resp.json() or {}).get('apiKeys') or []

    def create_key(self, label, scopes=None, expiration_date=None):
        body = {'label': label, 'scopes': list(scopes or [])}
        if expiration_date:
            body['expirationDate'] = expiration_date
        resp = self.request('POST', API_KEY_PATH, data=body)
        if resp.status != 201:
            hint = ''
            if resp.status == 400:
                hint = ' (zot refuses an expiration date in the past or not in RFC 3339)'
            raise ZotApiError(self._explain(resp, 'POST %s' % API_KEY_PATH) + hint, resp.status)
        doc = resp.json() or {}
        if not doc.get('apiKey') or not doc.get('uuid'):
            raise ZotApiError('zot created a key but its answer has no apiKey/uuid')
        return doc

    def revoke_key(self, uuid):
        resp = self.request('DELETE', API_KEY_PATH, query={'id': uuid})
        if resp.status != 200:
            raise ZotApiError(self._explain(resp, 'DELETE %s?id=%s' % (API_KEY_PATH, uuid)), resp.status)

    # --- registry checks --------------------------------------------------------------------
    def check_auth(self):
        """The user's keys, listed with these credentials: proves zot accepts them.

        One request decides: the key routes refuse anonymous users, unlike ``/v2/`` (which lets
        them through when an ``anonymousPolicy`` exists), and take the same authentication.
        """
        return self.list_keys()

    def check_push(self, repository):
        """Prove create rights in ``repository`` with rights a CI tier has: ``[read, create]``.

        Uploads the 2-byte blob ``{}`` monolithically (``POST ...?digest=``, one request, no
        upload session). Cancelling an upload session would need ``delete``, which an immutable CI
        tier never has (v2.1.20 answers 403). What stays: that blob, unreferenced, in the
        repository (also in the catalog when the repository was new), content-addressed so every
        probe reuses it, until zot's garbage collection removes it (``gcDelay``). When a server
        answers 202 (an upload session instead), the session is completed with the same blob.
        """
        path = '/v2/%s/blobs/uploads/' % '/'.join(quote(p) for p in repository.strip('/').split('/'))
        headers = {'Content-Type': 'application/octet-stream'}
        resp = self.request('POST', path, raw=PROBE_BLOB, query={'digest': PROBE_DIGEST}, headers=headers)
        if resp.status == 202 and resp.header('Location'):
            location = urljoin(self.url + '/', resp.header('Location'))
            location += ('&' if '?' in location else '?') + urlencode({'digest': PROBE_DIGEST})
            resp = self.request('PUT', location, raw=PROBE_BLOB, headers=headers)
        if resp.status != 201:
            raise ZotApiError(self._explain(resp, 'POST %s?digest=%s (push test)' % (path, PROBE_DIGEST)), resp.status)
        return True


# ---------------------------------------------------------------------------------------------
# Rotation engine: create -> set -> test -> finish (as AWS Secrets Manager rotation)
# ---------------------------------------------------------------------------------------------
class RotationError(Exception):
    def __init__(self, step, message, details=None):
        super(RotationError, self).__init__('API key rotation failed at step %s: %s' % (step, message))
        self.step = step
        self.details = details or {}


class Journal(object):
    """Records a key between its creation and the end of its rotation, so that a key whose
    revocation failed (zot down) is revoked by the next run instead of being left behind."""

    def __init__(self, path):
        self.path = path

    def pending(self):
        if not self.path or not os.path.exists(self.path):
            return []
        try:
            with open(self.path) as f:
                return json.load(f).get('pending', [])
        except (IOError, OSError, ValueError):
            return []

    def _save(self, pending):
        if not self.path:
            return
        if not pending:
            if os.path.exists(self.path):
                os.unlink(self.path)
            return
        tmp = self.path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump({'pending': pending}, f)
        os.rename(tmp, self.path)

    def add(self, uuid):
        p = self.pending()
        if uuid not in p:
            p.append(uuid)
        self._save(p)

    def remove(self, uuid):
        self._save([u for u in self.pending() if u != uuid])


def select_label(keys, label):
    return [k for k in keys if k.get('label') == label]


def rotation_due(keys, min_days_valid, now=None):
    """(due, reason, best_key): due when no usable key with the label has enough validity."""
    usable = [k for k in keys if not k.get('isExpired')]
    if not usable:
        return True, 'no key with this label' if not keys else 'every key with this label expired', None

    def remaining(k):
        d = days_left(k, now)
        return float('inf') if d is None else d

    best = max(usable, key=remaining)
    left = remaining(best)
    if left < min_days_valid:
        return True, 'the newest key has %.1f days left (< %s)' % (left, min_days_valid), best
    return False, 'a key has %s days left' % ('unlimited' if left == float('inf') else '%.1f' % left), best


class Rotation(object):
    """One rotation. ``stores`` follow secret_stores.SecretStore; ``client`` is a ZotClient."""

    STEPS = ('read', 'create', 'set', 'test', 'finish')

    def __init__(self, client, label, stores=None, scopes=None, expiration_date=None,
                 test_push_repository=None, journal=None, revoke_retries=3, retry_delay=1.0,
                 log=None, fault=None):
        self.client = client
        self.label = label
        self.stores = list(stores or [])
        self.scopes = scopes or []
        self.expiration_date = expiration_date
        self.test_push_repository = test_push_repository
        self.journal = journal or Journal(None)
        self.revoke_retries = revoke_retries
        self.retry_delay = retry_delay
        self.log = log or (lambda msg: None)
        self.fault = fault  # test hook: callable(step) raising to simulate a failure
        self.result = dict(steps=[], stores=[], revoked=[], recovered=[])

    def _step(self, name):
        self.result['steps'].append(name)
        if self.fault:
            self.fault(name)

    def recover(self):
        """Revoke keys a previous run created but could not revoke (see Journal)."""
        for uuid in self.journal.pending():
            try:
                self.client.revoke_key(uuid)
                self.journal.remove(uuid)
                self.result['recovered'].append(uuid)
            except ZotApiError as e:
                raise RotationError('recover', 'a key left by an earlier failed rotation (%s) could '
                                    'not be revoked: %s' % (uuid, e))

    def _revoke_with_retries(self, client, uuid):
        last = None
        for attempt in range(self.revoke_retries):
            try:
                client.revoke_key(uuid)
                return None
            except ZotApiError as e:
                last = e
                if attempt + 1 < self.revoke_retries:
                    time.sleep(self.retry_delay * (attempt + 1))
        return last

    def run(self, previous_value=None, keys=None):
        """Rotate. Returns (new_key_doc_without_secret, secret). Raises RotationError.

        ``keys``: the user's keys as just listed by the caller (saves listing them again).
        """
        if not self.client.username:
            raise RotationError('read', 'username is needed to test the new key (with session_cookie too)')
        self.recover()

        # read: learn what every store holds before anything is made.
        self._step('read')
        snapshots = []
        try:
            old_keys = select_label(self.client.list_keys() if keys is None else keys, self.label)
        except ZotApiError as e:
            raise RotationError('read', str(e))
        for store in self.stores:
            try:
                snapshots.append(store.read())
            except Exception as e:
                raise RotationError('read', 'store %s: %s' % (store.label, store_error_text(store, e)))
        if previous_value is None:
            for snap in snapshots:
                if snap.known and snap.exists and snap.value:
                    previous_value = snap.value
                    break

        # Stores that can tell they could not be written (a file store's directory) say so now,
        # before a key is made that would only be revoked again.
        for store in self.stores:
            try:
                store.check_writable()
            except Exception as e:
                raise RotationError('read', 'store %s: %s' % (store.label, store_error_text(store, e)))

        # create
        self._step('create')
        try:
            created = self.client.create_key(self.label, self.scopes, self.expiration_date)
        except ZotApiError as e:
            raise RotationError('create', str(e))
        secret = created.pop('apiKey')
        new_uuid = created['uuid']
        self.journal.add(new_uuid)
        written = []
        try:
            # set
            self._step('set')
            for store, snap in zip(self.stores, snapshots):
                try:
                    res = store.ensure(secret, snapshot=snap)
                    written.append((store, snap))
                    self.result['stores'].append(res)
                except Exception as e:
                    written.append((store, snap))  # a failed write may have half-happened
                    raise RotationError('set', 'store %s: %s' % (store.label, store_error_text(store, e)))
            # test
            self._step('test')
            new_client = self.client.with_api_key(secret)
            try:
                listed = [k.get('uuid') for k in new_client.check_auth()]
                if new_uuid not in listed:
                    raise ZotApiError('the new key authenticates as another user (its uuid is not in the list)')
                if self.test_push_repository:
                    new_client.check_push(self.test_push_repository)
            except ZotApiError as e:
                raise RotationError('test', 'the new key %s: %s' % (new_uuid, e))
        except RotationError as err:
            self._rollback(err, written, previous_value, new_uuid)
            raise

        # finish: revoke the old keys with this label, authenticated by the new key when the
        # caller used an API key (which may be one of the keys being revoked).
        self._step('finish')
        finisher = new_client if self.client.auth[0] == 'api_key' else self.client
        failed = []
        for key in old_keys:
            err = self._revoke_with_retries(finisher, key['uuid'])
            if err is None:
                self.result['revoked'].append(key['uuid'])
            else:
                failed.append('%s (%s)' % (key['uuid'], err))
        self.journal.remove(new_uuid)
        if failed:
            raise RotationError('finish', 'the new key %s is stored everywhere and works, but old keys '
                                'could not be revoked: %s; run again to revoke them' % (new_uuid, '; '.join(failed)),
                                details=dict(new_key=created))
        return created, secret

    def _rollback(self, err, written, previous_value, new_uuid):
        notes = []
        for store, snap in reversed(written):
            try:
                notes.append('%s %s' % (store.label, store.restore(snap, previous_value)))
            except Exception as e:
                notes.append('%s NOT restored: %s' % (store.label, store_error_text(store, e)))
        revoke_err = self._revoke_with_retries(self.client, new_uuid)
        if revoke_err is None:
            self.journal.remove(new_uuid)
            notes.append('new key %s revoked' % new_uuid)
        else:
            notes.append('new key %s could NOT be revoked (%s)%s' % (
                new_uuid, revoke_err, '; the next run revokes it (journal %s)' % self.journal.path
                if self.journal.path else '; revoke it with state=absent id=%s' % new_uuid))
        err.details['rollback'] = notes
        err.args = ('%s; rollback: %s' % (err.args[0], '; '.join(notes)),)


def _msg(e):
    return to_native(e) if str(e) else type(e).__name__


def store_error_text(store, e):
    """A store's error without the store's label again (the caller names the store)."""
    msg = _msg(e)
    prefix = '%s: ' % store.label
    return msg[len(prefix):] if msg.startswith(prefix) else msg


def expiration_from_days(days, now=None):
    if not days:
        return None
    return format_time((now or utcnow()) + datetime.timedelta(days=days))
