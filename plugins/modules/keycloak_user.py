#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: keycloak_user
short_description: Ensure a Keycloak user, its password and its group memberships
version_added: 0.1.0
description:
  - Creates, updates or deletes a user of a realm, found by its exact username. Intended for service accounts that
    log in to zot (for example a CI account in the group zot lets push) and for test users.
  - A password is set when the user is created and, with O(update_password=always), on every run (which then always
    reports a change, since Keycloak cannot tell whether it differs).
  - O(groups) are added to the user's memberships; memberships not listed are kept.
  - A run that changes nothing sends one token request (none with O(token)) and two reads (the user, its groups).
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.keycloak
  - zotops.zot.attributes
  - zotops.zot.attributes.actiongroup_keycloak
options:
  realm:
    description:
      - Realm of the user.
    type: str
    required: true
  username:
    description:
      - The username (Keycloak stores it in lower case).
    type: str
    required: true
  email:
    description:
      - E-mail address. zot takes the username from the C(email) claim unless its C(claimMapping.username) says otherwise.
    type: str
  email_verified:
    description:
      - Whether the e-mail address counts as verified.
    type: bool
  first_name:
    description:
      - First name (Keycloak's default user profile asks for it at the first login when missing).
    type: str
  last_name:
    description:
      - Last name (Keycloak's default user profile asks for it at the first login when missing).
    type: str
  enabled:
    description:
      - Whether the user may log in.
    type: bool
    default: true
  password:
    description:
      - Password (not temporary) set on creation, and on every run with O(update_password=always).
    type: str
  update_password:
    description:
      - V(on_create) sets O(password) only for a new user; V(always) sets it on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  groups:
    description:
      - Names of top-level groups the user must be a member of. They must exist.
    type: list
    elements: str
  state:
    description:
      - V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: The CI account that logs in to zot, in the group that may push
  zotops.zot.keycloak_user:
    keycloak_url: https://sso.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: platform
    username: ci-bot
    email: ci-bot@example.com
    email_verified: true
    first_name: CI
    last_name: Bot
    password: "{{ vault_ci_bot_password }}"
    groups: [registry-ci]
'''

RETURN = r'''
id:
  description: Keycloak's id of the user; null when absent or when check mode predicts a creation.
  returned: always
  type: str
user:
  description: The managed settings of the user after the run (never the password).
  returned: always
  type: dict
'''

from ansible_collections.zotops.zot.plugins.module_utils.keycloak import (
    KeycloakClient, KeycloakError, new_keycloak_module,
)

FIELDS = (('email', 'email'), ('email_verified', 'emailVerified'), ('first_name', 'firstName'),
          ('last_name', 'lastName'), ('enabled', 'enabled'))


def view(user, groups):
    if not user:
        return {}
    out = dict((option, user.get(key)) for option, key in FIELDS)
    out['username'] = user.get('username')
    out['groups'] = sorted(groups)
    return out


def main():
    module = new_keycloak_module(dict(
        realm=dict(type='str', required=True),
        username=dict(type='str', required=True),
        email=dict(type='str'),
        email_verified=dict(type='bool'),
        first_name=dict(type='str'),
        last_name=dict(type='str'),
        enabled=dict(type='bool', default=True),
        password=dict(type='str', no_log=True),
        update_password=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
        groups=dict(type='list', elements='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ))
    p = module.params
    realm = p['realm']
    username = p['username'].strip().lower()
    if not username:
        module.fail_json(msg="username must not be empty")
    for index, name in enumerate(p['groups'] or []):
        if not name.strip() or '/' in name:
            module.fail_json(msg="groups[%d] %r is not a top-level group name" % (index, name))
    api = KeycloakClient.from_module(module)
    result = dict(changed=False, id=None, user={})
    users = api.realm_path(realm, '/users')
    try:
        user = api.find_user(realm, username)
        if p['state'] == 'absent':
            if user:
                result.update(changed=True, diff=dict(before=view(user, []), after={}))
                if not module.check_mode:
                    api.delete('%s/%s' % (users, user['id']))
            module.exit_json(**result)

        wanted = dict((key, p[option]) for option, key in FIELDS if p[option] is not None)
        wanted_groups = sorted(set(p['groups'] or []))

        if user is None:
            # Every group must exist before the user is made: nothing half-made.
            missing = [g for g in wanted_groups if api.find_group(realm, g) is None]
            if missing and module.check_mode:
                # An earlier task of the same check run may be about to create them.
                module.warn("groups %s do not exist in realm %r yet; a real run fails unless they are created first"
                            % (', '.join(missing), realm))
            elif missing:
                module.fail_json(msg="groups %s do not exist in realm %r: create them first (zotops.zot.keycloak_group)"
                                 % (', '.join(missing), realm))
            body = dict(wanted, username=username)
            if wanted_groups:
                body['groups'] = ['/' + g for g in wanted_groups]
            if p['password'] is not None:
                body['credentials'] = [{'type': 'password', 'value': p['password'], 'temporary': False}]
            new = dict(body)
            result.update(changed=True, diff=dict(before={}, after=view(new, wanted_groups)), user=view(new, wanted_groups))
            if not module.check_mode:
                result['id'] = api.create(users, body)
            module.exit_json(**result)

        user_path = '%s/%s' % (users, user['id'])
        result['id'] = user['id']
        current_groups = [g.get('name') for g in api.get(user_path + '/groups?briefRepresentation=true') or []]
        add = [g for g in wanted_groups if g not in current_groups]
        add_ids = []
        for name in add:
            group = api.find_group(realm, name)
            if group is None and module.check_mode:
                module.warn("group %r does not exist in realm %r yet; a real run fails unless it is created first"
                            % (name, realm))
                add_ids.append(None)
                continue
            if group is None:
                module.fail_json(msg="group %r does not exist in realm %r: create it first (zotops.zot.keycloak_group)"
                                 % (name, realm))
            add_ids.append(group['id'])
        changed_fields = dict((k, v) for k, v in wanted.items() if user.get(k) != v)
        new = dict(user)
        new.update(changed_fields)
        after = view(new, set(current_groups) | set(wanted_groups))
        result['user'] = after
        set_password = p['password'] is not None and p['update_password'] == 'always'
        if changed_fields or add_ids or set_password:
            result['changed'] = True
            before = view(user, current_groups)
            if set_password:
                before['password'] = '(unchanged)'
                after = dict(after, password='(set)')
            result['diff'] = dict(before=before, after=after)
            if not module.check_mode:
                if changed_fields:
                    api.put(user_path, dict((k, v) for k, v in new.items() if k != 'access'))
                for group_id in add_ids:
                    api.put('%s/groups/%s' % (user_path, group_id), None)
                if set_password:
                    api.put(user_path + '/reset-password', {'type': 'password', 'value': p['password'],
                                                            'temporary': False})
    except KeycloakError as error:
        result.pop('diff', None)
        module.fail_json(msg=error.message, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
