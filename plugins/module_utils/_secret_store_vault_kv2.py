# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: one key of a HashiCorp Vault KV version 2 secret (the other keys are kept).

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    Snapshot, _HttpStore)


class VaultKv2Store(_HttpStore):
    kind = 'vault_kv2'
    options = {'required': ['url', 'token', 'path'],
               'optional': ['mount', 'key', 'namespace', 'validate_certs', 'ca_path']}

    def describe(self):
        return 'vault_kv2:%s/%s#%s' % (self.spec.get('mount', 'secret'), self.spec['path'].strip('/'),
                                       self.spec.get('key', 'value'))

    def _url(self):
        return '%s/v1/%s/data/%s' % (self.spec['url'].rstrip('/'),
                                     quote(self.spec.get('mount', 'secret').strip('/')),
                                     quote(self.spec['path'].strip('/')))

    def _headers(self):
        h = {'X-Vault-Token': self.spec['token'], 'Accept': 'application/json'}
        if self.spec.get('namespace'):
            h['X-Vault-Namespace'] = self.spec['namespace']
        return h

    def read(self):
        resp = self._request('GET', self._url(), headers=self._headers())
        if resp.status not in (200, 404):
            self._fail('read', resp)
        try:
            doc = resp.json() or {}
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or (resp.status == 404 and doc.get('errors')):
            # Vault answers a secret that is not there with 404 and no error; a 404 with one
            # ("no handler for route ...") means no KV v2 engine at the mount: a write would fail.
            self._fail('read', resp)
        inner = doc.get('data') or {}
        data = inner.get('data')
        meta = inner.get('metadata') or {}
        key = self.spec.get('key', 'value')
        if data is None:
            # Never written (404, no body data), or its latest version deleted or destroyed: 404 with
            # that version's metadata. The next write must name that version as its check-and-set.
            return Snapshot(False, known=True, private={'data': None, 'version': meta.get('version', 0)})
        return Snapshot(key in data, value=data.get(key), known=True,
                        private={'data': data, 'version': meta.get('version', 0)})

    def _put(self, data, version):
        body = {'data': data, 'options': {'cas': int(version or 0)}}
        resp = self._request('POST', self._url(), headers=self._headers(), data=body)
        if resp.status not in (200, 204):
            self._fail('write', resp)

    def write(self, value):
        current = self.read()
        data = dict(current.private.get('data') or {})
        data[self.spec.get('key', 'value')] = value
        self._put(data, current.private.get('version'))

    def write_raw(self, snapshot):
        current = self.read()
        self._put(dict(snapshot.private.get('data') or {}), current.private.get('version'))

    def delete(self):
        resp = self._request('DELETE', self._url(), headers=self._headers())
        if resp.status not in (200, 204, 404):
            self._fail('delete', resp)
