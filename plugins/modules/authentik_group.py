#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_group
short_description: Manage a group and its members in authentik
version_added: 0.1.0
description:
  - Creates, updates or deletes an authentik group, found by its O(name), and sets its members by username.
  - zot's C(accessControl) groups match the C(groups) claim authentik puts in the ID token, which lists these
    group names.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  name:
    description:
      - Name of the group; the key it is found by.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the group, V(absent) deletes it (its users are kept).
    type: str
    choices: [present, absent]
    default: present
  members:
    description:
      - Usernames of the group's members. Every user must exist.
      - With O(purge_members=true) (the default) the list is enforced exactly; otherwise the users are added and
        other members are kept.
      - When not set, the members are left as they are (for example when M(zotops.zot.authentik_service_account)
        adds its user to the group).
    type: list
    elements: str
  purge_members:
    description:
      - Remove members that are not in O(members).
    type: bool
    default: true
  is_superuser:
    description:
      - Make every member an authentik superuser. When not set, left as it is (new groups are not).
    type: bool
  attributes:
    description:
      - Group attributes (a dictionary), replaced as a whole. When not set, left as they are.
    type: dict
'''

EXAMPLES = r'''
- name: Group that may push to zot
  zotops.zot.authentik_group:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    name: zot-admins
    members: [alice, bob]
'''

RETURN = r'''
group:
  description: The group as authentik returns it (empty when absent).
  returned: always
  type: dict
pk:
  description: UUID of the group (null in check mode when it would be created).
  returned: when O(state=present)
  type: str
members:
  description: Usernames of the members after the run.
  returned: when O(state=present)
  type: list
  elements: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    AuthentikClient, AuthentikError, fail, missing_reference, new_authentik_module,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_state import ensure_absent, ensure_present

PATH = '/core/groups/'


def main():
    module = new_authentik_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        members=dict(type='list', elements='str'),
        purge_members=dict(type='bool', default=True),
        is_superuser=dict(type='bool'),
        attributes=dict(type='dict'),
    ))
    p = module.params
    result = dict(changed=False, group={})
    client = None
    try:
        client = AuthentikClient.from_module(module)
        existing = client.group(p['name'])

        if p['state'] == 'absent':
            ensure_absent(module, client, PATH, existing, dict(name=existing and existing['name']), result)
            module.exit_json(**result)

        # usernames of the current members, from the group itself when authentik includes them
        names = {}
        for user in (existing or {}).get('users_obj') or []:
            names[user['pk']] = user['username']
        current_pks = list((existing or {}).get('users') or [])
        for pk in (current_pks if p['members'] is not None else []):
            if pk not in names:
                user = client.get_or_none('/core/users/%s/' % pk)
                names[pk] = user['username'] if user else '#%s' % pk

        want = {}
        if p['members'] is not None:
            wanted = []
            by_name = dict((v, k) for k, v in names.items())
            for username in p['members']:
                pk = by_name.get(username)
                if pk is None:
                    user = client.user(username)
                    if user is None:
                        missing_reference(module, 'members: no authentik user is named %r' % username)
                        user = dict(pk='(%s)' % username)
                    pk = user['pk']
                    names[pk] = username
                if pk not in wanted:
                    wanted.append(pk)
            if not p['purge_members']:
                wanted = current_pks + [pk for pk in wanted if pk not in current_pks]
            want['users'] = sorted(wanted, key=str)
        for key in ('is_superuser', 'attributes'):
            if p[key] is not None:
                want[key] = p[key]

        def view(obj, keys):
            out = {}
            for key in keys:
                if key == 'users':
                    out['members'] = sorted(names.get(pk, '#%s' % pk) for pk in obj.get('users') or [])
                else:
                    out[key] = obj.get(key)
            return out

        if existing is None:
            want['name'] = p['name']
        obj = ensure_present(module, client, PATH, existing, want, result, view=view)
        result.update(group=obj, pk=obj.get('pk'),
                      members=sorted(names.get(pk, '#%s' % pk) for pk in obj.get('users') or []))
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
