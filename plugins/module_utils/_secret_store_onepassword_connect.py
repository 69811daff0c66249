# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret store: one field of an existing 1Password Connect item.

Private to this collection (leading underscore, as in community.hashi_vault): build stores through
``ansible_collections.zotops.zot.plugins.module_utils.secret_stores``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import urlencode

from ansible_collections.zotops.zot.plugins.module_utils._secret_store_base import (
    SecretStoreError, Snapshot, _HttpStore)


READ_ONLY_ITEM_KEYS = ('createdAt', 'updatedAt', 'lastEditedBy', 'state')


class OnePasswordConnectStore(_HttpStore):
    kind = 'onepassword_connect'
    options = {'required': ['url', 'token', 'vault', 'item'],
               'optional': ['field', 'validate_certs', 'ca_path']}

    def describe(self):
        return 'onepassword_connect:%s/%s#%s' % (self.spec['vault'], self.spec['item'], self.spec.get('field', 'password'))

    def _api(self):
        api = self.spec['url'].rstrip('/')
        return api if api.endswith('/v1') else api + '/v1'

    def _headers(self):
        return {'Authorization': 'Bearer %s' % self.spec['token'], 'Accept': 'application/json'}

    @staticmethod
    def _is_id(text):
        return len(text) == 26 and text.isalnum() and text == text.lower()

    def _resolve(self):
        if getattr(self, '_ids', None):
            return self._ids
        vault = self.spec['vault']
        if not self._is_id(vault):
            resp = self._request('GET', '%s/vaults?%s' % (self._api(), urlencode({'filter': 'name eq "%s"' % vault})),
                                 headers=self._headers())
            if resp.status != 200:
                self._fail('find vault', resp)
            found = resp.json() or []
            if len(found) != 1:
                raise SecretStoreError('%s: %d vaults are named %r' % (self.label, len(found), vault))
            vault = found[0]['id']
        item = self.spec['item']
        if not self._is_id(item):
            resp = self._request('GET', '%s/vaults/%s/items?%s' % (self._api(), vault, urlencode({'filter': 'title eq "%s"' % item})),
                                 headers=self._headers())
            if resp.status != 200:
                self._fail('find item', resp)
            found = resp.json() or []
            if len(found) != 1:
                raise SecretStoreError('%s: %d items are titled %r (the item must exist)' % (self.label, len(found), item))
            item = found[0]['id']
        self._ids = (vault, item)
        return self._ids

    def _item(self):
        vault, item = self._resolve()
        resp = self._request('GET', '%s/vaults/%s/items/%s' % (self._api(), vault, item), headers=self._headers())
        if resp.status != 200:
            self._fail('read item', resp)
        return resp.json()

    def _field(self, doc):
        wanted = self.spec.get('field', 'password')
        for f in doc.get('fields') or []:
            if f.get('label') == wanted or f.get('id') == wanted:
                return f
        return None

    def read(self):
        doc = self._item()
        f = self._field(doc)
        if f is None:
            return Snapshot(False, known=True, private={'item': doc})
        return Snapshot('value' in f, value=f.get('value'), known=True, private={'item': doc})

    def _put(self, doc):
        vault, item = self._resolve()
        body = dict((k, v) for k, v in doc.items() if k not in READ_ONLY_ITEM_KEYS)
        body['fields'] = [dict((k, v) for k, v in f.items() if k != 'entropy') for f in doc.get('fields') or []]
        resp = self._request('PUT', '%s/vaults/%s/items/%s' % (self._api(), vault, item),
                             headers=self._headers(), data=body)
        if resp.status != 200:
            self._fail('update item', resp)

    def write(self, value):
        doc = self._item()
        f = self._field(doc)
        if f is None:
            wanted = self.spec.get('field', 'password')
            doc.setdefault('fields', []).append({'id': wanted, 'label': wanted, 'type': 'CONCEALED', 'value': value})
        else:
            f['value'] = value
            f.pop('generate', None)
        self._put(doc)

    def write_raw(self, snapshot):
        # Put the whole previous item back, except for what changed since (version bump).
        doc = dict(snapshot.private['item'])
        current = self._item()
        if 'version' in current:
            doc['version'] = current['version']
        self._put(doc)

    def delete(self):
        # The item existed (it must); the field did not: put the item back without it.
        doc = self._item()
        wanted = self.spec.get('field', 'password')
        doc['fields'] = [f for f in doc.get('fields') or [] if f.get('label') != wanted and f.get('id') != wanted]
        self._put(doc)
