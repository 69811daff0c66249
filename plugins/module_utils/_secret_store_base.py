# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The part every secret store shares: the interface (:class:`SecretStore`), the :class:`Snapshot` a
read returns, :class:`SecretStoreError`, the suboptions of a store entry, and the HTTP helper and
base classes of the HTTP stores.

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import quote
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.zotops.zot.plugins.module_utils._http import Unreachable, send


SECRET_OPTIONS = ('token', 'access_key', 'secret_key', 'session_token')

# The suboptions of a store entry besides ``type`` (secret_stores.STORE_ARGUMENT_SPEC adds it, with
# the store types as its choices). Which options a type takes: its class's ``options``.
STORE_ENTRY_OPTIONS = dict(
    name=dict(type='str'),
    path=dict(type='str'),
    mode=dict(type='str', default='0600'),
    owner=dict(type='str'),
    group=dict(type='str'),
    secret_id=dict(type='str'),
    region=dict(type='str'),
    endpoint_url=dict(type='str'),
    access_key=dict(type='str', no_log=True),
    secret_key=dict(type='str', no_log=True),
    session_token=dict(type='str', no_log=True),
    profile=dict(type='str'),
    json_key=dict(type='str', no_log=False),
    kms_key_id=dict(type='str'),
    url=dict(type='str'),
    token=dict(type='str', no_log=True),
    mount=dict(type='str', default='secret'),
    key=dict(type='str', no_log=False, default='value'),
    namespace=dict(type='str'),
    validate_certs=dict(type='bool', default=True),
    ca_path=dict(type='path'),
    secret_name=dict(type='str'),
    repo=dict(type='str'),
    org=dict(type='str'),
    user_level=dict(type='bool'),
    visibility=dict(type='str', choices=['all', 'private', 'selected']),
    vault=dict(type='str'),
    item=dict(type='str'),
    field=dict(type='str', default='password'),
    secret=dict(type='str', no_log=False),
    secret_type=dict(type='str', default='Opaque'),
)


class SecretStoreError(Exception):
    """A store operation failed; the message names the store, never the value."""


class Snapshot(object):
    """What a store held before a write.

    ``exists``: the secret exists (None when the store cannot tell);
    ``known``: ``value`` is the stored value; ``private`` carries store-specific state needed to
    put it back (e.g. other keys of a JSON secret).
    """

    def __init__(self, exists, value=None, known=False, private=None):
        self.exists = exists
        self.value = value
        self.known = known
        self.private = private or {}

    def matches(self, value):
        return bool(self.known and self.exists and self.value == value)

    def __repr__(self):  # never the value
        return 'Snapshot(exists=%r, known=%r)' % (self.exists, self.known)


class SecretStore(object):
    """One store entry. A store type is a subclass in a ``_secret_store_<type>.py`` file, listed
    in secret_stores.STORE_CLASSES."""

    kind = None
    readable = True
    # Options a store entry of this type needs and may carry (besides ``type`` and ``name``).
    options = {'required': [], 'optional': []}

    def __init__(self, spec, index=None):
        self.index = index
        self.where = 'stores[%s]' % index if index is not None else 'store'
        options = self.options
        applicable = set(options['required']) | set(options['optional']) | set(['type', 'name'])
        # Options of other store types that only carry their argument_spec default are dropped.
        self.spec = dict((k, v) for k, v in spec.items() if v is not None and (
            k in applicable or v != STORE_ENTRY_OPTIONS.get(k, {}).get('default')))
        missing = [o for o in options['required'] if self.spec.get(o) in (None, '')]
        if missing:
            raise SecretStoreError('%s (type %s) needs %s' % (
                self.where, self.kind, ', '.join(missing)))
        allowed = set(options['required']) | set(options['optional']) | set(['type', 'name'])
        extra = sorted(set(self.spec) - allowed)
        if extra:
            raise SecretStoreError('%s (type %s) does not take %s; it takes %s' % (
                self.where, self.kind, ', '.join(extra), ', '.join(sorted(allowed))))

    # --- to implement -------------------------------------------------------------------
    def describe(self):
        raise NotImplementedError

    def read(self):
        raise NotImplementedError

    def write(self, value):
        raise NotImplementedError

    def delete(self):
        raise NotImplementedError

    def check_writable(self):
        """Raise SecretStoreError when a write is known to fail (checked in check mode and before a
        key is made). Stores behind an API cannot tell without writing: they do nothing here."""
        return None

    # --- shared ---------------------------------------------------------------------------
    @property
    def label(self):
        return self.spec.get('name') or self.describe()

    def ensure(self, value, check_mode=False, snapshot=None):
        """Write ``value`` unless the store already holds it. Returns a result dict."""
        if snapshot is None:
            snapshot = self.read()
        if self.readable and snapshot.matches(value):
            return dict(store=self.label, type=self.kind, changed=False, written=False)
        if not check_mode:
            self._write_after_read(value, snapshot)
        return dict(store=self.label, type=self.kind, changed=True, written=not check_mode,
                    existed=snapshot.exists)

    def restore(self, snapshot, fallback_value=None):
        """Put back what ``snapshot`` recorded. Returns a short note (no value)."""
        if snapshot.known:
            if snapshot.exists:
                self.write_raw(snapshot)
                return 'restored'
            self.delete()
            return 'removed (did not exist before)'
        if fallback_value is not None:
            self.write(fallback_value)
            return 'restored the previous key (write-only store)'
        if snapshot.exists is False:
            self.delete()
            return 'removed (did not exist before)'
        raise SecretStoreError(
            '%s is write-only and the previous value is unknown: it could not be restored'
            % self.label)

    def write_raw(self, snapshot):
        self.write(snapshot.value)

    def _write_after_read(self, value, snapshot):
        """Write when ``snapshot`` was just read; stores that read before writing reuse it."""
        self.write(value)


# ---------------------------------------------------------------------------------------------
# HTTP helper
# ---------------------------------------------------------------------------------------------
def http_request(method, url, headers=None, data=None, validate_certs=True, ca_path=None,
                 timeout=30, what='request'):
    """One HTTP request (see _http.send); HTTP errors come back as responses."""
    try:
        return send(method, url, headers=headers, data=data, validate_certs=validate_certs, ca_path=ca_path,
                    timeout=timeout)
    except Unreachable as e:
        raise SecretStoreError('%s: cannot reach %s: %s' % (what, url, e))


def _error_text(resp):
    text = to_text(resp.body or b'', errors='replace').strip()
    return text[:300]


class _HttpStore(SecretStore):
    def _request(self, method, url, headers=None, data=None, ok=(200,)):
        resp = http_request(method, url, headers=headers, data=data,
                            validate_certs=self.spec.get('validate_certs', True),
                            ca_path=self.spec.get('ca_path'), what=self.label)
        return resp

    def _fail(self, action, resp):
        raise SecretStoreError('%s: %s answered HTTP %s: %s' % (
            self.label, action, resp.status, _error_text(resp)))


class _ActionsSecretStore(_HttpStore):
    """Write-only CI secrets (Gitea/Forgejo and GitHub Actions): PUT to set, DELETE to remove."""

    def _secret_url(self):
        return '%s/%s' % (self._base(), quote(self.spec['secret_name']))

    def _put_secret(self, body):
        resp = self._request('PUT', self._secret_url(), headers=self._headers(), data=body)
        if resp.status not in (201, 204):
            self._fail('write', resp)

    def delete(self):
        resp = self._request('DELETE', self._secret_url(), headers=self._headers())
        if resp.status not in (204, 404):
            self._fail('delete', resp)
