#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: keycloak_group
short_description: Ensure a top-level group in a Keycloak realm
version_added: 0.1.0
description:
  - Creates or deletes a top-level group, found by its exact name, for example the group whose members zot's
    access control lets push (it reaches zot as a name in the C(groups) claim).
  - A run that changes nothing sends one token request (none with O(token)) and one read.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.keycloak
  - zotops.zot.attributes
  - zotops.zot.attributes.actiongroup_keycloak
options:
  realm:
    description:
      - Realm of the group.
    type: str
    required: true
  name:
    description:
      - Name of the group (top level; no C(/)).
    type: str
    required: true
  state:
    description:
      - V(present) creates the group if missing; V(absent) deletes it (members are not deleted).
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: The group of CI accounts that may push to zot
  zotops.zot.keycloak_group:
    keycloak_url: https://sso.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: platform
    name: registry-ci
'''

RETURN = r'''
id:
  description: Keycloak's id of the group; null when absent or when check mode predicts a creation.
  returned: always
  type: str
name:
  description: Name of the group.
  returned: always
  type: str
path:
  description: Path of the group (C(/<name>)).
  returned: always
  type: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.keycloak import (
    KeycloakClient, KeycloakError, new_keycloak_module,
)


def main():
    module = new_keycloak_module(dict(
        realm=dict(type='str', required=True),
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ))
    p = module.params
    if not p['name'].strip() or '/' in p['name']:
        module.fail_json(msg="name %r is not a top-level group name (non-empty, without '/')" % p['name'])
    api = KeycloakClient.from_module(module)
    result = dict(changed=False, id=None, name=p['name'], path='/' + p['name'])
    try:
        group = api.find_group(p['realm'], p['name'])
        groups = api.realm_path(p['realm'], '/groups')
        if p['state'] == 'absent':
            if group:
                result.update(changed=True, diff=dict(before={'name': p['name']}, after={}))
                if not module.check_mode:
                    api.delete('%s/%s' % (groups, group['id']))
        elif group:
            result['id'] = group['id']
        else:
            result.update(changed=True, diff=dict(before={}, after={'name': p['name']}))
            if not module.check_mode:
                result['id'] = api.create(groups, {'name': p['name']})
    except KeycloakError as error:
        result.pop('diff', None)
        module.fail_json(msg=error.message, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
