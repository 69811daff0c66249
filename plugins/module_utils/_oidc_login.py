# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sign in to zot through its OpenID Connect login without a browser (zot_api_key's oidc_login).

What a browser does, with a plain HTTP client and a cookie jar (zot v2.1.20, pkg/api/authn.go and
routes.go; zitadel/oidc's relying party):

1. ``GET /zot/auth/login?provider=<name>``: zot stores the OAuth2 state in cookies (``statecookie``,
   and the relying party's ``state``/PKCE cookies) and answers 302 to the IdP's authorization URL.
   Without ``callback_ui`` zot's callback answers 201 instead of redirecting to its UI.
2. The IdP's own sign-in, answered with the account's username and password: Keycloak's login form
   (``_oidc_login_keycloak.py``) or authentik's flow executor API (``_oidc_login_authentik.py``).
   Anything else the IdP asks (MFA, consent, a required action, an unknown stage) stops the sign-in
   with an error naming that step; zot has then seen only step 1.
3. The IdP redirects to zot's ``redirect_uri`` (``/zot/auth/callback/<name>``) with a code; zot
   exchanges it, stores the user's groups and sets the ``session`` cookie (and ``user``, the zot
   username from the claims).

The ``session`` cookie then authenticates zot's API key routes (with ``X-ZOT-API-CLIENT: zot-ui``),
and ``POST /zot/auth/logout`` deletes the session again when the module is done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import json
import os
import time

from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves import http_cookiejar
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit
from ansible.module_utils.urls import open_url

from ansible_collections.zotops.zot.plugins.module_utils.zot_api import ZotApiError, ZotClient

TRACE_ENV = 'ZOTOPS_HTTP_TRACE'
LOGIN_PATH = '/zot/auth/login'
LOGOUT_PATH = '/zot/auth/logout'
IDPS = ('keycloak', 'authentik')

# zot_api_key's oidc_login option (sub-options; the secret one is no_log).
OIDC_LOGIN_OPTIONS = dict(
    username=dict(type='str', required=True),
    password=dict(type='str', required=True, no_log=True),
    provider=dict(type='str', default='oidc'),
    idp=dict(type='str', choices=list(IDPS)),
)


class OidcLoginError(Exception):
    """The sign-in stopped. ``stage`` names where (an IdP page, flow stage, or zot's step)."""

    def __init__(self, message, stage=None, idp=None):
        super(OidcLoginError, self).__init__(message)
        self.stage = stage
        self.idp = idp

    def report(self):
        """The module's failure message: whether zot saw more than the login redirect."""
        if self.stage in ('zot callback', 'zot username'):
            return 'OIDC sign-in failed at zot: %s' % self
        return 'OIDC sign-in failed, nothing was changed on zot: %s' % self


class HttpResponse(object):
    def __init__(self, status, body, headers, url):
        self.status = status
        self.body = body or b''
        self.headers = headers
        self.url = url

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def location(self):
        loc = self.header('Location')
        return urljoin(self.url, loc) if loc else None

    @property
    def text(self):
        return to_text(self.body, errors='replace')

    def json(self):
        try:
            return json.loads(self.text)
        except ValueError:
            return None


def is_loopback(host):
    host = (host or '').strip('[]').lower()
    return host == 'localhost' or host.endswith('.localhost') or host.startswith('127.') or host == '::1'


class _BrowserCookiePolicy(http_cookiejar.DefaultCookiePolicy):
    """Send ``Secure`` cookies over plain HTTP to loopback hosts, as browsers do (they count
    http://localhost and 127.0.0.1 as secure contexts). Keycloak marks its login cookies Secure
    (SameSite=None) and zot's relying party its state cookie, even when served over HTTP."""

    def return_ok_secure(self, cookie, request):
        if cookie.secure and is_loopback(urlsplit(request.get_full_url()).hostname):
            return True
        return http_cookiejar.DefaultCookiePolicy.return_ok_secure(self, cookie, request)


class Browser(object):
    """An HTTP client with a cookie jar that never follows redirects on its own (each hop is a
    decision: stay on the IdP, or hand the code to zot). Counts its requests."""

    def __init__(self, validate_certs=True, ca_path=None, timeout=30):
        self.jar = http_cookiejar.CookieJar(policy=_BrowserCookiePolicy())
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.requests = 0

    def request(self, method, url, data=None, headers=None, form=None, json_body=None):
        hdrs = {'User-Agent': 'zotops.zot', 'Accept': 'text/html,application/json'}
        hdrs.update(headers or {})
        body = data
        if form is not None:
            body = urlencode(form)
            hdrs['Content-Type'] = 'application/x-www-form-urlencoded'
        elif json_body is not None:
            body = json.dumps(json_body)
            hdrs['Content-Type'] = 'application/json'
        self.requests += 1
        try:
            resp = open_url(url, method=method, data=body, headers=hdrs, validate_certs=self.validate_certs,
                            ca_path=self.ca_path, timeout=self.timeout, follow_redirects='none',
                            cookies=self.jar)
            result = HttpResponse(resp.getcode(), resp.read(), dict(resp.headers.items()), url)
        except HTTPError as e:
            try:
                payload = e.read()
            except Exception:
                payload = b''
            result = HttpResponse(e.code, payload, dict(e.headers.items()) if e.headers else {}, url)
        except (URLError, OSError, ValueError) as e:
            raise OidcLoginError('cannot reach %s: %s' % (origin(url), to_native(getattr(e, 'reason', e))),
                                 stage='connect')
        _trace(method, url, result.status)
        return result

    def cookie(self, name, url):
        host = urlsplit(url).hostname
        for c in self.jar:
            if c.name == name and (c.domain.lstrip('.') == host or not c.domain):
                return c.value
        return None


def _trace(method, url, status):
    """With ZOTOPS_HTTP_TRACE set, one JSON line per request: method, host, path, status (never a
    query string, body or cookie: they carry codes and credentials)."""
    target = os.environ.get(TRACE_ENV)
    if not target:
        return
    parts = urlsplit(url)
    try:
        with open(target, 'a') as handle:
            handle.write(json.dumps({'method': method, 'host': parts.netloc, 'path': parts.path,
                                     'status': status, 'time': round(time.time(), 3)}) + '\n')
    except (IOError, OSError):
        pass


def origin(url):
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc)


def query_of(url):
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def detect_idp(authorize_url):
    """Which sign-in zot's provider sends to, from the authorization endpoint's path."""
    path = urlsplit(authorize_url).path
    if '/protocol/openid-connect/auth' in path:
        return 'keycloak'
    if path.rstrip('/').endswith('/application/o/authorize'):
        return 'authentik'
    return None


class SignIn(object):
    """One sign-in of one account to one zot, through one IdP."""

    def __init__(self, zot_url, username, password, provider='oidc', idp=None, validate_certs=True,
                 ca_path=None, timeout=30):
        self.zot_url = zot_url.rstrip('/')
        self.username = username
        self.password = password
        self.provider = provider
        self.idp = idp
        self.browser = Browser(validate_certs=validate_certs, ca_path=ca_path, timeout=timeout)
        self.redirect_uri = None
        self.session_cookie = None
        self.zot_username = None

    def is_callback(self, url):
        """Whether ``url`` is zot's redirect_uri (the IdP hands over the code there)."""
        if not url or not self.redirect_uri:
            return False
        return urlsplit(url).path == urlsplit(self.redirect_uri).path and bool(query_of(url))

    def run(self):
        authorize_url = self._start()
        idp = self.idp or detect_idp(authorize_url)
        if idp is None:
            raise OidcLoginError("zot's provider '%s' sends the sign-in to %s, which is neither Keycloak's nor "
                                 "authentik's authorization endpoint: set oidc_login.idp"
                                 % (self.provider, urlsplit(authorize_url)._replace(query='').geturl()),
                                 stage='detect')
        self.idp = idp
        if idp == 'keycloak':
            from ansible_collections.zotops.zot.plugins.module_utils._oidc_login_keycloak import sign_in
        else:
            from ansible_collections.zotops.zot.plugins.module_utils._oidc_login_authentik import sign_in
        try:
            callback = sign_in(self, authorize_url)
        except OidcLoginError as e:
            e.idp = e.idp or idp
            raise
        self._finish(callback)
        return self

    def _start(self):
        url = '%s%s?%s' % (self.zot_url, LOGIN_PATH, urlencode({'provider': self.provider}))
        resp = self.browser.request('GET', url)
        if resp.status == 400:
            raise OidcLoginError("zot has no OpenID provider named '%s' (400 from %s): set oidc_login.provider to "
                                 "a key of zot's http.auth.openid.providers" % (self.provider, LOGIN_PATH),
                                 stage='zot login')
        if resp.status == 404:
            raise OidcLoginError('zot has no OpenID login (404 from %s): http.auth.openid is not configured'
                                 % LOGIN_PATH, stage='zot login')
        if resp.status not in (302, 303, 307) or not resp.location:
            raise OidcLoginError('zot answered HTTP %s to %s, not a redirect to its IdP'
                                 % (resp.status, LOGIN_PATH), stage='zot login')
        self.redirect_uri = query_of(resp.location).get('redirect_uri')
        if not self.redirect_uri:
            raise OidcLoginError("zot's redirect to its IdP names no redirect_uri", stage='zot login')
        return resp.location

    def _finish(self, callback_url):
        """Hand the IdP's answer to zot's callback, on the zot the module talks to (zot's externalUrl
        may name another host, whose cookies this client does not hold)."""
        parts = urlsplit(callback_url)
        if origin(callback_url) != origin(self.zot_url):
            base = urlsplit(self.zot_url)
            callback_url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ''))
        resp = self.browser.request('GET', callback_url)
        params = query_of(callback_url)
        if 'error' in params:
            raise OidcLoginError('the IdP refused the authorization: %s%s' % (
                params['error'], (' (%s)' % params['error_description']) if params.get('error_description') else ''),
                stage='authorization')
        if resp.status == 401:
            raise OidcLoginError("zot's callback refused the sign-in (401): zot found no username in the account's "
                                 "claims (claimMapping.username, by default the email claim) or its state cookie "
                                 "did not match", stage='zot callback')
        if resp.status not in (200, 201, 302, 303):
            raise OidcLoginError("zot's callback answered HTTP %s%s" % (
                resp.status, (': ' + resp.text.strip()[:200]) if resp.text.strip() else ''), stage='zot callback')
        self.session_cookie = self.browser.cookie('session', self.zot_url)
        if not self.session_cookie:
            raise OidcLoginError("zot's callback set no session cookie", stage='zot callback')
        user = self.browser.cookie('user', self.zot_url)
        self.zot_username = unquote(user.strip('"')) if user else None

    def summary(self):
        return dict(idp=self.idp, provider=self.provider, zot_username=self.zot_username,
                    http_requests=self.browser.requests)


def zot_client(params, check_mode):
    """A ZotClient for zot_api_key: from its credentials, or from an OIDC sign-in.

    Returns (client, sign_in, note). With ``oidc_login`` and ``api_key`` the key is used while zot
    accepts it; the sign-in happens only when there is no key or zot refuses it (expired, revoked).
    In check mode there is no sign-in (zot's callback writes a session and the user's groups): the
    client is then None and ``note`` says why. Raises ZotApiError or OidcLoginError.
    """
    login = params.get('oidc_login')
    if not login:
        return ZotClient.from_params(params), None, None
    note = 'no api_key was given'
    if params.get('api_key'):
        if not params.get('username'):
            raise ZotApiError('username is required with api_key')
        keyed = ZotClient.from_params(params)
        try:
            keyed.list_keys()
            return keyed, None, None
        except ZotApiError as e:
            if e.status != 401:
                raise
            note = 'zot refused api_key (401: expired, revoked or unknown)'
    if check_mode:
        return None, None, note
    sign_in = SignIn(params['zot_url'], login['username'], login['password'], provider=login.get('provider') or 'oidc',
                     idp=login.get('idp'), validate_certs=params.get('validate_certs', True),
                     ca_path=params.get('ca_path'), timeout=params.get('timeout', 30)).run()
    if params.get('username') and sign_in.zot_username and params['username'] != sign_in.zot_username:
        logout(sign_in, params)
        raise OidcLoginError("zot knows the account signed in as '%s' as '%s' (its username claim), not '%s': set "
                             "username to '%s' or leave it out" % (login['username'], sign_in.zot_username,
                                                                   params['username'], sign_in.zot_username),
                             stage='zot username', idp=sign_in.idp)
    client = ZotClient(params['zot_url'], username=params.get('username') or sign_in.zot_username,
                       session_cookie='session=%s' % sign_in.session_cookie,
                       validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                       timeout=params.get('timeout', 30))
    # Leave no session behind: zot keeps it (on disk or in Redis) until it expires otherwise.
    atexit.register(logout, sign_in, params)
    return client, sign_in, note


def logout(sign_in, params):
    """POST /zot/auth/logout with the session: zot deletes it. Best effort (the module is done)."""
    if not sign_in or not sign_in.session_cookie:
        return
    client = ZotClient(params['zot_url'], session_cookie='session=%s' % sign_in.session_cookie,
                       validate_certs=params.get('validate_certs', True), ca_path=params.get('ca_path'),
                       timeout=params.get('timeout', 30))
    try:
        client.request('POST', LOGOUT_PATH)
    except ZotApiError:
        pass
    sign_in.session_cookie = None


def check_mode_result(params, note):
    """What check mode reports when only a sign-in could list the keys (it does not sign in)."""
    then = {'present': 'makes a key unless one with this label has min_days_valid days left',
            'rotated': 'makes a key', 'absent': 'revokes the matching keys'}[params['state']]
    reason = ('check mode does not sign in through OIDC (%s; zot would store a session and the groups): '
              'the real run signs in and %s' % (note, then))
    result = dict(changed=True, revoked=[], reason=reason)
    if params['state'] != 'absent':
        result.update(rotation_due=True, recovered=[])
    return result
