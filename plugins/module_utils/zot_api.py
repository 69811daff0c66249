# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small client for zot's ``/zot/auth/apikey`` API (the rotation engine is ``_api_key_rotation``).

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

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urljoin
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.zotops.zot.plugins.module_utils._http import Unreachable, send


API_KEY_PATH = '/zot/auth/apikey'
SESSION_HEADER = ('X-ZOT-API-CLIENT', 'zot-ui')
NEVER = '0001-01-01T00:00:00Z'
# The push test's blob: the JSON document {} (OCI's empty descriptor), 2 bytes.
PROBE_BLOB = b'{}'
PROBE_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'

ZOT_API_MUTUALLY_EXCLUSIVE = [('password', 'api_key', 'session_cookie')]
ZOT_API_REQUIRED_ONE_OF = [('password', 'api_key', 'session_cookie')]


def zot_api_argument_spec():
    """The connection options every module talking to zot's API takes (see the zot_api doc fragment)."""
    return dict(
        zot_url=dict(type='str', required=True),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        api_key=dict(type='str', no_log=True),
        session_cookie=dict(type='str', no_log=True),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
    )


def new_zot_api_module(argument_spec, credentials=(), **kwargs):
    """An AnsibleModule with the connection options (one of password, api_key, session_cookie) merged in.

    ``credentials``: the module's own options that may stand in for those three (zot_api_key's oidc_login).
    """
    spec = zot_api_argument_spec()
    spec.update(argument_spec)
    kwargs.setdefault('supports_check_mode', True)
    kwargs['mutually_exclusive'] = list(ZOT_API_MUTUALLY_EXCLUSIVE) + kwargs.get('mutually_exclusive', [])
    kwargs['required_one_of'] = ([tuple(ZOT_API_REQUIRED_ONE_OF[0]) + tuple(credentials)] +
                                 kwargs.get('required_one_of', []))
    return AnsibleModule(argument_spec=spec, **kwargs)


class ZotApiError(Exception):
    def __init__(self, message, status=None):
        super(ZotApiError, self).__init__(message)
        self.status = status


class ZotUnreachable(ZotApiError):
    pass


# ---------------------------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------------------------
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
    def from_module(cls, module):
        """A client for an AnsibleModule's connection options; raises ZotApiError when they do not fit."""
        return cls.from_params(module.params)

    @classmethod
    def from_params(cls, params):
        """A client for a dict of the zot_api connection options (an AnsibleModule's params)."""
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
        try:
            return send(method, url, headers=hdrs, data=raw if data is None else data,
                        validate_certs=self.validate_certs, ca_path=self.ca_path, timeout=self.timeout)
        except Unreachable as e:
            raise ZotUnreachable('cannot reach zot at %s: %s' % (self.url, e))

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
