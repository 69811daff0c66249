# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small client for Keycloak's admin REST API, shared by the zotops.zot.keycloak_* modules.

Design rules (see docs/keycloak.md):
- one access token per module run, taken from the token endpoint of O(auth_realm), or given;
- objects are found by their natural key in one read (``?clientId=``, ``?username=&exact=true``);
- connection failures and 502/503/504 are retried a bounded number of times, quickly;
- every error names what failed and never contains a password, secret or token;
- with E(ZOTOPS_HTTP_TRACE) set to a file path, each request's method, path and status is appended
  to it as one JSON line (never bodies, headers or query strings with credentials).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import random
import re
import socket
import string
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode, urlparse
from ansible.module_utils.urls import open_url

TRACE_ENV = "ZOTOPS_HTTP_TRACE"
RETRY_STATUS = (502, 503, 504)
SECRET_ALPHABET = string.ascii_letters + string.digits


def keycloak_argument_spec():
    """Connection and authentication options common to every zotops.zot.keycloak_* module."""
    return dict(
        keycloak_url=dict(type='str', required=True, aliases=['auth_keycloak_url'], no_log=False),
        auth_realm=dict(type='str', default='master'),
        auth_username=dict(type='str'),
        auth_password=dict(type='str', no_log=True),
        auth_client_id=dict(type='str', default='admin-cli'),
        auth_client_secret=dict(type='str', no_log=True),
        token=dict(type='str', no_log=True),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
        retries=dict(type='int', default=2),
    )


KEYCLOAK_MUTUALLY_EXCLUSIVE = [['token', 'auth_username'], ['token', 'auth_client_secret']]
KEYCLOAK_REQUIRED_TOGETHER = [['auth_username', 'auth_password']]


class KeycloakError(Exception):
    def __init__(self, message, status=None):
        super(KeycloakError, self).__init__(message)
        self.message = message
        self.status = status


def _error_text(raw):
    """Keycloak's error body as one short line: error/errorMessage/error_description if JSON."""
    text = to_text(raw or b'', errors='replace').strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(body, dict):
        parts = [to_text(body[k]) for k in ('error', 'errorMessage', 'error_description') if body.get(k)]
        if parts:
            return ': '.join(parts)
    return text[:300]


def generate_secret(length=32):
    """A client secret like Keycloak's own (32 alphanumerics), from the OS's CSPRNG."""
    rng = random.SystemRandom()
    return ''.join(rng.choice(SECRET_ALPHABET) for dummy in range(length))


def is_http_url(value, allow_wildcard=False):
    """True for an absolute http(s) URL with a host; a trailing ``*`` is allowed if asked."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return False
    if allow_wildcard and value.endswith('*'):
        value = value[:-1]
    try:
        parsed = urlparse(value)
        parsed.port  # raises ValueError on a bad port
    except ValueError:
        return False
    return parsed.scheme in ('http', 'https') and bool(parsed.hostname)


def is_origin(value):
    """A web origin as Keycloak takes it: ``+`` (from redirect URIs), ``*``, or scheme://host[:port]."""
    if value in ('+', '*'):
        return True
    if not is_http_url(value):
        return False
    parsed = urlparse(value)
    return parsed.path in ('', '/') and not parsed.query and not parsed.fragment


class KeycloakClient(object):
    """Admin REST client. ``params`` is a module's params (see keycloak_argument_spec)."""

    def __init__(self, params, sleep=time.sleep, opener=None):
        self.url = (params.get('keycloak_url') or '').rstrip('/')
        self.params = params
        self.timeout = params.get('timeout') or 30
        self.retries = max(0, params.get('retries') if params.get('retries') is not None else 2)
        self._sleep = sleep
        self._open = opener or open_url
        self._token = params.get('token')
        self.requests = 0
        if not is_http_url(self.url):
            raise KeycloakError("keycloak_url must be an http(s) URL such as https://sso.example.com, got %r"
                                % (params.get('keycloak_url'),))
        if not self._token and not params.get('auth_username') and not params.get('auth_client_secret'):
            raise KeycloakError("no Keycloak credentials: set auth_username and auth_password (an admin user), "
                                "auth_client_id and auth_client_secret (a service account), or token")

    # -- transport ---------------------------------------------------------------------------------

    @classmethod
    def from_module(cls, module):
        """A client for an AnsibleModule, failing the module cleanly on bad connection options."""
        try:
            return cls(module.params)
        except KeycloakError as error:
            module.fail_json(msg=error.message)

    def _trace(self, method, path, status):
        target = os.environ.get(TRACE_ENV)
        if not target:
            return
        try:
            with open(target, 'a') as handle:
                handle.write(json.dumps({'method': method, 'path': path.split('?', 1)[0],
                                         'status': status, 'time': round(time.time(), 3)}) + '\n')
        except (IOError, OSError):
            pass

    def _raw(self, method, path, data=None, headers=None):
        """One HTTP exchange with bounded retries; returns (status, body bytes, headers)."""
        url = self.url + path
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                response = self._open(
                    url, method=method, data=data, headers=headers or {}, timeout=self.timeout,
                    validate_certs=self.params.get('validate_certs', True), ca_path=self.params.get('ca_path'),
                    follow_redirects='none', http_agent='zotops.zot')
                body = response.read()
                status = response.getcode()
                self._trace(method, path, status)
                return status, body, response.headers
            except HTTPError as error:
                self._trace(method, path, error.code)
                if error.code in RETRY_STATUS and attempt <= self.retries:
                    self._sleep(0.5 * attempt)
                    continue
                try:
                    raw = error.read()
                except Exception:
                    raw = b''
                return error.code, raw, error.headers
            except (URLError, socket.timeout, socket.error, ValueError) as error:
                self._trace(method, path, None)
                reason = getattr(error, 'reason', error)
                if attempt <= self.retries and not isinstance(error, ValueError):
                    self._sleep(0.5 * attempt)
                    continue
                raise KeycloakError("cannot reach Keycloak at %s (keycloak_url) after %d attempt(s): %s"
                                    % (self.url, attempt, to_native(reason)))

    def _get_token(self):
        p = self.params
        realm = p.get('auth_realm') or 'master'
        if p.get('auth_username'):
            form = {'grant_type': 'password', 'client_id': p.get('auth_client_id') or 'admin-cli',
                    'username': p['auth_username'], 'password': p.get('auth_password') or ''}
            if p.get('auth_client_secret'):
                form['client_secret'] = p['auth_client_secret']
            who = "admin user %r" % p['auth_username']
        else:
            form = {'grant_type': 'client_credentials', 'client_id': p.get('auth_client_id') or 'admin-cli',
                    'client_secret': p['auth_client_secret']}
            who = "service account client %r" % form['client_id']
        status, body, dummy = self._raw(
            'POST', '/realms/%s/protocol/openid-connect/token' % quote(realm, safe=''),
            data=urlencode(form), headers={'Content-Type': 'application/x-www-form-urlencoded'})
        if status == 404:
            raise KeycloakError("auth_realm %r does not exist on %s" % (realm, self.url), status)
        if status in (400, 401, 403):
            raise KeycloakError("Keycloak refused the credentials of %s in auth_realm %r (%s); check auth_username/"
                                "auth_password or auth_client_id/auth_client_secret" % (who, realm, _error_text(body)),
                                status)
        if status != 200:
            raise KeycloakError("token request to auth_realm %r failed with HTTP %s: %s" % (realm, status, _error_text(body)),
                                status)
        try:
            return json.loads(to_text(body))['access_token']
        except (ValueError, KeyError, TypeError):
            raise KeycloakError("Keycloak's token endpoint answered without an access_token")

    @property
    def token(self):
        if not self._token:
            self._token = self._get_token()
        return self._token

    def request(self, method, path, body=None, ok=(200, 201, 204), not_found=None):
        """An admin API call below /admin/realms. Returns (status, decoded JSON or None, headers).

        ``not_found`` is returned as the body for a 404 instead of raising.
        """
        headers = {'Authorization': 'Bearer %s' % self.token, 'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        status, raw, resp_headers = self._raw(method, '/admin/realms' + path, data=data, headers=headers)
        if status == 404 and not_found is not None:
            return status, not_found, resp_headers
        if status not in ok:
            text = _error_text(raw)
            if status == 401:
                raise KeycloakError("Keycloak rejected the access token (HTTP 401) for %s %s: %s"
                                    % (method, path.split('?')[0], text), status)
            if status == 403:
                raise KeycloakError("the Keycloak account lacks the admin role for %s %s (HTTP 403); give it "
                                    "realm-management roles such as manage-clients/manage-users" % (method, path.split('?')[0]),
                                    status)
            if status == 404 and 'Realm not found' in text:
                raise KeycloakError("realm %r does not exist on %s" % (self._realm_of(path), self.url), status)
            raise KeycloakError("%s %s failed with HTTP %s: %s" % (method, path.split('?')[0], status, text), status)
        decoded = None
        if raw:
            try:
                decoded = json.loads(to_text(raw))
            except ValueError:
                decoded = to_text(raw)
        return status, decoded, resp_headers

    @staticmethod
    def _realm_of(path):
        match = re.match(r'^/([^/?]+)', path)
        return match.group(1) if match else path

    def get(self, path, not_found=None):
        return self.request('GET', path, not_found=not_found)[1]

    def create(self, path, body):
        """POST a new object; returns its id from the Location header."""
        dummy, dummy2, headers = self.request('POST', path, body=body, ok=(201,))
        location = headers.get('Location') if headers is not None else None
        return location.rstrip('/').rsplit('/', 1)[-1] if location else None

    def put(self, path, body):
        self.request('PUT', path, body=body)

    def delete(self, path):
        self.request('DELETE', path, ok=(200, 204), not_found={})

    # -- objects -------------------------------------------------------------------------------------

    @staticmethod
    def realm_path(realm, suffix=''):
        return '/%s%s' % (quote(realm, safe=''), suffix)

    def issuer(self, realm):
        return '%s/realms/%s' % (self.url, quote(realm, safe=''))

    def find_client(self, realm, client_id):
        """The full representation (with secret and protocolMappers) of a client, or None: one GET."""
        found = self.get(self.realm_path(realm, '/clients?clientId=%s' % quote(client_id, safe='')))
        for client in found or []:
            if client.get('clientId') == client_id:
                return client
        return None

    def find_group(self, realm, name):
        """A top-level group by exact name, or None: one GET."""
        found = self.get(self.realm_path(realm, '/groups?search=%s&exact=true&briefRepresentation=true'
                                                % quote(name, safe='')))
        for group in found or []:
            if group.get('name') == name:
                return group
        return None

    def find_user(self, realm, username):
        found = self.get(self.realm_path(realm, '/users?username=%s&exact=true&briefRepresentation=false'
                                                % quote(username, safe='')))
        for user in found or []:
            if (user.get('username') or '').lower() == username.lower():
                return user
        return None


def new_keycloak_module(argument_spec, **kwargs):
    """An AnsibleModule with the shared connection options (and their constraints) merged in."""
    spec = keycloak_argument_spec()
    spec.update(argument_spec)
    result = dict(argument_spec=spec, supports_check_mode=True,
                  mutually_exclusive=list(KEYCLOAK_MUTUALLY_EXCLUSIVE) + kwargs.pop('mutually_exclusive', []),
                  required_together=list(KEYCLOAK_REQUIRED_TOGETHER) + kwargs.pop('required_together', []))
    result.update(kwargs)
    return AnsibleModule(**result)
