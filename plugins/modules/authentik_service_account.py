#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_service_account
short_description: Manage a service-account user in authentik (a CI identity)
version_added: 0.1.0
description:
  - Creates, updates or deletes an authentik user of type C(service_account), found by its O(username),
    and sets the groups it belongs to by name.
  - This is the identity CI pushes to zot as; zot grants it what its groups (the C(groups) claim) allow.
  - No authentik token is made for the account; CI authenticates to zot with a zot API key.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  username:
    description:
      - Username; the key the account is found by.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the account, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Display name. Defaults to O(username) when the account is created; when not set, left as it is.
    type: str
  groups:
    description:
      - Names of the groups the account belongs to. Every group must exist.
      - With O(append=false) (the default) the list is enforced exactly; otherwise the account is added to
        these groups and kept in others. When not set, the groups are left as they are.
    type: list
    elements: str
  append:
    description:
      - Add the account to O(groups) without removing it from others.
    type: bool
    default: false
  is_active:
    description:
      - Whether the account may log in. New accounts are active; when not set, left as it is.
    type: bool
  path:
    description:
      - Path the account is listed under in authentik's user directory. Only used when the account is created.
    type: str
    default: goauthentik.io/service-accounts
  password:
    description:
      - A password for the account, so it can log in through an authentik flow (for example to zot's OIDC login,
        to make its first zot API key).
      - authentik cannot tell whether a password is already set, so it is set as O(update_password) says.
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only when the account is created; V(always) sets it on every run
        (always reported as a change).
    type: str
    choices: [on_create, always]
    default: on_create
'''

EXAMPLES = r'''
- name: CI identity that pushes to zot
  zotops.zot.authentik_service_account:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    username: zot-ci
    name: zot CI
    groups: [artifact-workloads]
'''

RETURN = r'''
user:
  description: The account as authentik returns it (empty when absent).
  returned: always
  type: dict
pk:
  description: Numeric id of the account (null in check mode when it would be created).
  returned: when O(state=present)
  type: int
username:
  description: Username of the account.
  returned: always
  type: str
groups:
  description: Names of the account's groups after the run.
  returned: when O(state=present)
  type: list
  elements: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    AuthentikClient, AuthentikError, fail, missing_reference, new_authentik_module, same,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_state import ensure_absent

PATH = '/core/users/'
SERVICE_TYPES = ('service_account', 'internal_service_account')


def main():
    module = new_authentik_module(dict(
        username=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        name=dict(type='str'),
        groups=dict(type='list', elements='str'),
        append=dict(type='bool', default=False),
        is_active=dict(type='bool'),
        path=dict(type='str', default='goauthentik.io/service-accounts'),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
    ))
    p = module.params
    result = dict(changed=False, user={}, username=p['username'])
    client = None
    try:
        path = p['path']
        if path.startswith('/') or path.endswith('/') or '' in path.split('/'):
            raise AuthentikError('path: %r is not an authentik user path (segments separated by single "/", none '
                                 'at the start or end, for example goauthentik.io/service-accounts)' % path)
        client = AuthentikClient.from_module(module)
        existing = client.user(p['username'])
        if existing is not None and existing.get('type') not in SERVICE_TYPES:
            raise AuthentikError('username: %r is an authentik user of type %r, not a service account; choose '
                                 'another username' % (p['username'], existing.get('type')))

        if p['state'] == 'absent':
            ensure_absent(module, client, PATH, existing,
                          dict(username=p['username'], type=existing and existing.get('type')), result)
            module.exit_json(**result)

        # group names for the current groups, from the user itself when authentik includes them
        names = {}
        for group in (existing or {}).get('groups_obj') or []:
            names[group['pk']] = group['name']
        current = list((existing or {}).get('groups') or [])
        for pk in (current if p['groups'] is not None else []):
            if pk not in names:
                group = client.get_or_none('/core/groups/%s/' % pk)
                names[pk] = group['name'] if group else pk

        want = {}
        if p['groups'] is not None:
            by_name = dict((v, k) for k, v in names.items())
            wanted = []
            for name in p['groups']:
                pk = by_name.get(name)
                if pk is None:
                    group = client.group(name)
                    if group is None:
                        missing_reference(module, 'groups: no authentik group is named %r (create it first with '
                                                  'zotops.zot.authentik_group)' % name)
                        group = dict(pk='(%s)' % name)
                    pk = group['pk']
                    names[pk] = name
                if pk not in wanted:
                    wanted.append(pk)
            if p['append']:
                wanted = current + [pk for pk in wanted if pk not in current]
            want['groups'] = sorted(wanted)
        for key in ('name', 'is_active'):
            if p[key] is not None:
                want[key] = p[key]

        def view(obj, keys):
            out = {}
            for key in keys:
                if key == 'groups':
                    out['groups'] = sorted(names.get(pk, pk) for pk in obj.get('groups') or [])
                else:
                    out[key] = obj.get(key)
            return out

        set_password = p['password'] is not None and (existing is None or p['update_password'] == 'always')
        if existing is None:
            want = dict(want, username=p['username'], type='service_account', path=p['path'])
            want.setdefault('name', p['username'])
            result['changed'] = True
            after = view(want, sorted(want))
            if set_password:
                after['password'] = '********'
            result['diff'] = dict(before={}, after=after)
            obj = dict(want, pk=None)
            if not module.check_mode:
                # remembered, so a refused password leaves no account without one behind
                obj = client.create(PATH, want, 'service account %r' % p['username'])
        else:
            changes = dict((k, v) for k, v in want.items() if not same(existing.get(k), v))
            obj = existing
            if changes or set_password:
                keys = sorted(changes)
                before, after = view(existing, keys), view(dict(existing, **changes), keys)
                if set_password:
                    before['password'] = '********'
                    after['password'] = '******** (set again)'
                result['changed'] = True
                result['diff'] = dict(before=before, after=after)
                if module.check_mode:
                    obj = dict(existing, **changes)
                elif changes:
                    obj = client.patch('%s%s/' % (PATH, existing['pk']), changes)
        if set_password and not module.check_mode:
            client.post('%s%s/set_password/' % (PATH, obj['pk']), {'password': p['password']})
        result.update(user=obj, pk=obj.get('pk'), username=obj.get('username', p['username']),
                      groups=sorted(names.get(pk, pk) for pk in obj.get('groups') or []))
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
