#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: keycloak_client_secret
short_description: Read the secret of a confidential Keycloak client
version_added: 0.1.0
description:
  - Returns the current secret of a confidential client, read-only (it never regenerates it).
  - Pairs with M(zotops.zot.keycloak_oidc_client) run with O(zotops.zot.keycloak_oidc_client#module:return_secret=false);
    that task shows its diff, this one (with C(no_log)) carries the secret.
  - With O(id) one read is made (C(GET .../clients/<id>/client-secret)); with only O(client_id), one read
    of the client by its C(clientId).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.keycloak
  - zotops.zot.attributes.actiongroup_keycloak
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
options:
  realm:
    description:
      - Realm of the client.
    type: str
    required: true
  client_id:
    description:
      - The client's C(clientId). One of O(client_id) and O(id) is required.
    type: str
  id:
    description:
      - Keycloak's internal id (UUID) of the client, as returned by M(zotops.zot.keycloak_oidc_client).
    type: str
'''

EXAMPLES = r'''
- name: Read zot's client secret
  zotops.zot.keycloak_client_secret:
    keycloak_url: https://sso.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: platform
    client_id: zot
  no_log: true
  register: zot_secret
'''

RETURN = r'''
client_secret:
  description: The client secret. Set C(no_log) on the task.
  returned: always
  type: str
id:
  description: Keycloak's internal id of the client.
  returned: always
  type: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.keycloak import (
    KeycloakClient, KeycloakError, new_keycloak_module,
)


def main():
    module = new_keycloak_module(
        dict(realm=dict(type='str', required=True), client_id=dict(type='str'), id=dict(type='str')),
        required_one_of=[['client_id', 'id']])
    p = module.params
    api = KeycloakClient.from_module(module)
    try:
        if p['id']:
            found = api.get(api.realm_path(p['realm'], '/clients/%s/client-secret' % p['id']), not_found={})
            if not found:
                module.fail_json(msg="no client with id %r in realm %r" % (p['id'], p['realm']))
            module.exit_json(changed=False, id=p['id'], client_secret=found.get('value'))
        client = api.find_client(p['realm'], p['client_id'])
        if client is None:
            module.fail_json(msg="no client %r in realm %r" % (p['client_id'], p['realm']))
        secret = client.get('secret')
        if secret is None:
            secret = (api.get(api.realm_path(p['realm'], '/clients/%s/client-secret' % client['id'])) or {}).get('value')
        module.exit_json(changed=False, id=client['id'], client_secret=secret)
    except KeycloakError as error:
        module.fail_json(msg=error.message)


if __name__ == '__main__':
    main()
