# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small client for authentik's API v3, shared by the zotops.zot.authentik_* modules.

It only uses ansible.module_utils (no requests), so it runs on any managed node's Python (3.8+).

Supported authentik releases: 2025.2 through 2026.8 (SUPPORTED_RELEASES). Only fields every one of them has are
sent, and answers are read so that fields some of them lack are not needed (an application's ``pbm_uuid``, for
one, is only in 2026.8 and later; its ``pk`` is the same value in every release).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.zotops.zot.plugins.module_utils._http import Unreachable, send

API_PREFIX = '/api/v3'
PAGE_SIZE = 100
MAX_PAGES = 1000
HIDDEN = '********'
SUPPORTED_RELEASES = '2025.2 to 2026.8'
TIMEDELTA_KEYS = ('weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds')


def authentik_argument_spec():
    """The connection options every authentik module takes (see the authentik doc fragment)."""
    return dict(
        authentik_url=dict(type='str', required=True, fallback=(env_fallback, ['AUTHENTIK_URL'])),
        authentik_token=dict(type='str', required=True, no_log=True,
                             fallback=(env_fallback, ['AUTHENTIK_TOKEN'])),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='int', default=30),
    )


class AuthentikError(Exception):
    """An error with a message that is safe to show (it never contains the token)."""

    def __init__(self, message, status=None, body=None):
        super(AuthentikError, self).__init__(message)
        self.message = message
        self.status = status
        self.body = body


def _format_errors(body):
    """authentik (Django REST framework) errors: {"field": ["msg", ...]} or {"detail": "msg"}."""
    if isinstance(body, dict):
        parts = []
        for key in sorted(body):
            value = body[key]
            if isinstance(value, list):
                value = '; '.join(_format_errors(v) for v in value)
            elif isinstance(value, dict):
                value = _format_errors(value)
            if key in ('detail', 'non_field_errors'):
                parts.append(to_text(value))
            else:
                parts.append('%s: %s' % (key, value))
        return ', '.join(parts)
    if isinstance(body, list):
        return '; '.join(_format_errors(v) for v in body)
    return to_text(body)


class AuthentikClient(object):
    """Thin JSON client: requests, pagination, error mapping, natural-key look-ups."""

    def __init__(self, url, token, validate_certs=True, ca_path=None, timeout=30):
        if not url or not (url.startswith('http://') or url.startswith('https://')):
            raise AuthentikError("authentik_url must be an http:// or https:// URL, got %r" % (url,))
        if not token:
            raise AuthentikError('authentik_token is empty: set it or the AUTHENTIK_TOKEN environment variable')
        self.url = url.rstrip('/')
        self._token = token
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        # Every request made, as (method, path): modules can report it, tests can assert on it.
        self.requests = []
        # Writes authentik accepted, so a failed run reports changed only for what really was written.
        self.written = []
        # What this run created, as (label, DELETE path): removed again when a later write is refused.
        self.created = []

    @classmethod
    def from_module(cls, module):
        p = module.params
        return cls(p['authentik_url'], p['authentik_token'], p['validate_certs'], p['ca_path'], p['timeout'])

    # -- transport ---------------------------------------------------------------------------
    def _safe(self, text):
        text = to_text(text)
        if self._token:
            text = text.replace(self._token, HIDDEN)
        return text

    def request(self, method, path, query=None, body=None, expect_json=True):
        """Send one request to <url>/api/v3<path>; return the decoded JSON (or None)."""
        target = API_PREFIX + path
        if query:
            target += '?' + urlencode(sorted((k, v) for k, v in query.items() if v is not None))
        headers = {
            'Authorization': 'Bearer %s' % self._token,
            'Accept': 'application/json',
        }
        self.requests.append((method, target))
        what = '%s %s' % (method, target)
        try:
            resp = send(method, self.url + target, headers=headers, data=body, validate_certs=self.validate_certs,
                        ca_path=self.ca_path, timeout=self.timeout)
        except Unreachable as e:
            raise AuthentikError('cannot reach authentik at %s (%s): %s' % (self.url, what, self._safe(to_native(e))))
        raw = resp.body
        if resp.status in (301, 302, 303, 307, 308):
            raise AuthentikError('authentik redirected %s to %s: set authentik_url to the URL authentik is '
                                 'served at (requests are not followed, so the token is not sent elsewhere)'
                                 % (what, self._safe(resp.header('Location') or 'another URL')), status=resp.status)
        if resp.status >= 300:
            raise self._http_error(what, resp.status, raw)
        if method != 'GET':
            self.written.append((method, target))
        if not raw or not expect_json:
            return None
        try:
            return json.loads(to_text(raw))
        except ValueError:
            raise AuthentikError('authentik returned a non-JSON answer to %s (is authentik_url %s the authentik '
                                 'server?)' % (what, self.url))

    def _http_error(self, what, status, raw):
        text = to_text(raw, errors='surrogate_or_replace').strip()
        try:
            body = json.loads(text)
            detail = _format_errors(body)
        except ValueError:
            # Not authentik's API (a proxy's or the web interface's page): say what it was, never paste it.
            body = None
            if text.startswith('<'):
                detail = 'an HTML page instead of a JSON answer'
            elif text:
                detail = 'a non-JSON answer starting %r' % text.splitlines()[0][:60]
            else:
                detail = ''
        detail = self._safe(detail)
        if status in (401, 403) and (not isinstance(body, dict) or set(body) <= set(['detail'])):
            msg = ('authentik refused the API token (HTTP %d on %s: %s): check authentik_token (or '
                   'AUTHENTIK_TOKEN), that it has not expired, and that its user may manage this object'
                   % (status, what, detail or 'no detail'))
        elif status == 404:
            msg = 'authentik answered HTTP 404 to %s: %s (is authentik_url %s the URL authentik is served at?)' % (
                what, detail or 'not found', self.url)
        else:
            msg = 'authentik rejected %s (HTTP %d): %s' % (what, status, detail or 'no detail')
        return AuthentikError(msg, status=status, body=body)

    # -- REST helpers --------------------------------------------------------------------------
    def get(self, path, query=None):
        return self.request('GET', path, query=query)

    def get_or_none(self, path):
        try:
            return self.request('GET', path)
        except AuthentikError as e:
            if e.status == 404:
                return None
            raise

    def post(self, path, body):
        return self.request('POST', path, body=body)

    def create(self, path, body, label, key='pk'):
        """POST a new object and remember it, so a refused later write of the same run can remove it again."""
        obj = self.post(path, body)
        self.created.append((label, '%s%s/' % (path, quote(str((obj or {}).get(key)), safe=''))))
        return obj

    def undo(self):
        """Delete what this run created, newest first. Returns (removed labels, labels left with the reason)."""
        removed, left = [], []
        while self.created:
            label, path = self.created.pop()
            try:
                self.delete(path)
            except AuthentikError as e:
                left.append('%s (%s)' % (label, e.message))
                continue
            removed.append(label)
            # created and deleted again: neither write changed anything
            for entry in (('POST', API_PREFIX + path.rsplit('/', 2)[0] + '/'), ('DELETE', API_PREFIX + path)):
                if entry in self.written:
                    self.written.remove(entry)
        return removed, left

    def patch(self, path, body):
        return self.request('PATCH', path, body=body)

    def delete(self, path):
        return self.request('DELETE', path, expect_json=False)

    def list(self, path, **filters):
        """Every object of a list endpoint, following authentik's page-number pagination."""
        results = []
        page = 1
        for dummy in range(MAX_PAGES):
            query = dict((k, v) for k, v in filters.items() if v is not None)
            query.update(page=page, page_size=PAGE_SIZE)
            answer = self.get(path, query=query)
            if not isinstance(answer, dict) or 'results' not in answer:
                raise AuthentikError('authentik returned an unexpected answer to GET %s%s (no "results")'
                                     % (API_PREFIX, path))
            results.extend(answer['results'])
            nxt = (answer.get('pagination') or {}).get('next') or 0
            if not nxt:
                return results
            page = int(nxt)
        raise AuthentikError('GET %s%s returned more than %d pages' % (API_PREFIX, path, MAX_PAGES))

    def find(self, path, field, value, **filters):
        """Objects whose ``field`` equals ``value`` exactly (filtered server-side, checked here)."""
        filters[field] = value
        return [o for o in self.list(path, **filters) if o.get(field) == value]

    def find_one(self, path, field, value, kind, **filters):
        found = self.find(path, field, value, **filters)
        if len(found) > 1:
            raise AuthentikError('%d %ss are named %r in authentik: rename all but one, then retry'
                                 % (len(found), kind, value))
        return found[0] if found else None

    # -- look-ups by natural key ------------------------------------------------------------------
    def flow(self, slug, option):
        flow = self.find_one('/flows/instances/', 'slug', slug, 'flow')
        if flow is None:
            raise AuthentikError('%s: no authentik flow has the slug %r (list them under Flows and Stages > Flows)'
                                 % (option, slug))
        return flow

    def flow_slug(self, pk):
        if not pk:
            return None
        found = [f for f in self.list('/flows/instances/', flow_uuid=pk) if f.get('pk') == pk]
        return found[0]['slug'] if found else pk

    def certificate(self, name, option):
        cert = self.find_one('/crypto/certificatekeypairs/', 'name', name, 'certificate-key pair')
        if cert is None:
            raise AuthentikError('%s: no authentik certificate-key pair is named %r (see System > Certificates)'
                                 % (option, name))
        if not cert.get('private_key_available'):
            raise AuthentikError('%s: the certificate %r has no private key, so it cannot sign tokens'
                                 % (option, name))
        return cert

    def application(self, slug):
        return self.get_or_none('/core/applications/%s/' % quote(slug, safe=''))

    def group(self, name):
        return self.find_one('/core/groups/', 'name', name, 'group')

    def user(self, username):
        return self.find_one('/core/users/', 'username', username, 'user')


def fail(module, client, error, result):
    """Fail the module after ``error``: undo what the run created, report changed only for what stays written,
    and name whatever could not be removed again."""
    msg = error.message
    if client is not None:
        removed, left = client.undo()
        if removed:
            msg += '; removed again what this run had created: %s' % ', '.join(removed)
        if left:
            msg += '; this run created %s, which could not be removed again' % ', '.join(left)
        result['changed'] = bool(client.written)
    if not result.get('changed'):
        result.pop('diff', None)
    module.fail_json(msg=msg, **result)


def check_regex_uris(option, uris):
    """authentik refuses a regex redirect URI that Python's re cannot compile (authentik is Python too)."""
    for uri in uris or []:
        try:
            re.compile(uri)
        except re.error as e:
            raise AuthentikError('%s: %r is not a valid regular expression (%s); authentik refuses it with '
                                 'redirect_uri_matching: regex' % (option, uri, e))


def check_timedelta(option, value):
    """authentik's duration format, "hours=1;minutes=30" (keys: weeks, days, ..., microseconds)."""
    if value is None:
        return
    try:
        for part in value.split(';'):
            key, number = part.split('=')
            if key.strip().lower() not in TIMEDELTA_KEYS:
                raise ValueError(key)
            float(number.strip())
    except ValueError:
        raise AuthentikError('%s: %r is not an authentik duration; use key=value pairs separated by ";" with '
                             'keys %s, for example hours=1;minutes=30' % (option, value, ', '.join(TIMEDELTA_KEYS)))


def check_expression(option, expression):
    """authentik compiles a mapping's expression as the body of a function and refuses what does not compile."""
    body = '\n'.join('    ' + line for line in (expression or '').splitlines()) or '    pass'
    try:
        compile('def handler():\n' + body, option, 'exec')
    except (SyntaxError, ValueError) as e:
        raise AuthentikError('%s: not a valid authentik (Python) expression: %s' % (option, e))


def check_url(option, value):
    """authentik validates URL fields with Django's URL validator: a scheme, then "://"."""
    if value and not re.match(r'^[a-z][a-z0-9.+-]*://\S+$', value, re.I):
        raise AuthentikError('%s: %r is not a URL authentik accepts (it needs a scheme, like https://)'
                             % (option, value))


def check_length(option, value, maximum=255):
    if value is not None and len(value) > maximum:
        raise AuthentikError('%s: at most %d characters, got %d' % (option, maximum, len(value)))


def missing_reference(module, message):
    """A referenced object is missing: an error, except in check mode, where an earlier task of the same run
    may only have predicted creating it. Returns True when the module should go on with a placeholder."""
    if module.check_mode:
        module.warn('%s; check mode assumes an earlier task creates it' % message)
        return True
    raise AuthentikError(message)


def new_authentik_module(argument_spec, **kwargs):
    spec = authentik_argument_spec()
    clash = set(spec) & set(argument_spec)
    if clash:
        raise ValueError('module options %s clash with the authentik connection options' % ', '.join(sorted(clash)))
    spec.update(argument_spec)
    kwargs.setdefault('supports_check_mode', True)
    return AnsibleModule(argument_spec=spec, **kwargs)


def same(a, b):
    """Compare API values: lists as multisets of their JSON form, everything else as is."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(json.dumps(x, sort_keys=True) for x in a) == sorted(json.dumps(x, sort_keys=True) for x in b)
    return a == b


def changed_fields(current, desired):
    """The keys of ``desired`` (already in API form) whose value differs in ``current``."""
    return dict((k, v) for k, v in desired.items() if not same(current.get(k), v))


def sorted_list(values):
    return sorted(values or [], key=lambda v: json.dumps(v, sort_keys=True))
