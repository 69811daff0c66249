#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_scope_mapping
short_description: Manage an OAuth2 scope mapping in authentik
version_added: 0.1.0
description:
  - Creates, updates or deletes an authentik scope (property) mapping, found by its O(name).
  - The default O(expression) returns a C(groups) claim with the names of the user's groups, for
    O(zotops.zot.authentik_oauth2_provider#module:groups_claim=true).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  name:
    description:
      - Name of the mapping; the key it is found by.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the mapping, V(absent) deletes it.
      - Mappings that authentik manages itself are never changed or deleted.
    type: str
    choices: [present, absent]
    default: present
  scope_name:
    description:
      - The scope a client asks for to receive the mapping's claims.
    type: str
    default: groups
  expression:
    description:
      - Python expression (authentik's syntax) returning the claims.
    type: str
    default: 'return {"groups": [group.name for group in request.user.ak_groups.all()]}'
  description:
    description:
      - Text shown to the user on the consent page. When not set, left as it is.
    type: str
'''

EXAMPLES = r'''
- name: A "groups" scope for zot's accessControl groups
  zotops.zot.authentik_scope_mapping:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    name: "zot: groups"
'''

RETURN = r'''
mapping:
  description: The mapping as authentik returns it (empty when absent).
  returned: always
  type: dict
pk:
  description: UUID of the mapping (null in check mode when it would be created).
  returned: when O(state=present)
  type: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    AuthentikClient, AuthentikError, check_expression, fail, new_authentik_module,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_state import ensure_absent, ensure_present

PATH = '/propertymappings/provider/scope/'


def main():
    module = new_authentik_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        scope_name=dict(type='str', default='groups'),
        expression=dict(type='str',
                        default='return {"groups": [group.name for group in request.user.ak_groups.all()]}'),
        description=dict(type='str'),
    ))
    p = module.params
    result = dict(changed=False, mapping={})
    client = None
    try:
        client = AuthentikClient.from_module(module)
        existing = client.find_one(PATH, 'name', p['name'], 'scope mapping')
        if existing and existing.get('managed'):
            raise AuthentikError('name: %r is managed by authentik itself (%s); choose another name'
                                 % (p['name'], existing['managed']))

        if p['state'] == 'absent':
            ensure_absent(module, client, PATH, existing,
                          dict(name=p['name'], scope_name=existing and existing.get('scope_name')), result)
            module.exit_json(**result)

        want = dict(name=p['name'], scope_name=p['scope_name'], expression=p['expression'])
        check_expression('expression', p['expression'])
        if p['description'] is not None:
            want['description'] = p['description']
        obj = ensure_present(module, client, PATH, existing, want, result)
        result.update(mapping=obj, pk=obj.get('pk'))
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
