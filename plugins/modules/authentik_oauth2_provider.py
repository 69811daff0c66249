#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: authentik_oauth2_provider
short_description: Manage an OAuth2/OpenID Connect provider in authentik
version_added: 0.1.0
description:
  - Creates, updates or deletes an authentik OAuth2/OpenID provider, the OIDC client that zot logs users in with.
  - The provider is found by its O(name). Flows are chosen by slug, the signing key by name and the scope
    property mappings by scope name, so no authentik ids have to be looked up by hand.
  - Returns the client id, the client secret and the issuer URL that zot's C(http.auth.openid) configuration needs.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.authentik
  - zotops.zot.attributes.authentik_module
options:
  name:
    description:
      - Name of the provider; the key it is found by.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the provider, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  client_type:
    description:
      - V(confidential) clients (like zot) authenticate with a client secret.
    type: str
    choices: [confidential, public]
    default: confidential
  client_id:
    description:
      - The client id. When not set, authentik generates one on creation and an existing one is kept.
    type: str
  client_secret:
    description:
      - The client secret. When not set, authentik generates one on creation and an existing one is kept.
      - It is never shown in a diff.
    type: str
  redirect_uris:
    description:
      - Allowed redirect URIs, for zot C(<externalUrl>/zot/auth/callback/<provider key>).
      - The list is enforced exactly; each entry is matched as given by O(redirect_uri_matching).
      - Required when the provider is created.
    type: list
    elements: str
  redirect_uri_matching:
    description:
      - V(strict) matches each redirect URI exactly, V(regex) treats each entry as a regular expression.
      - With V(regex), every entry must compile as a Python regular expression (authentik refuses it otherwise);
        the module checks this before it writes anything.
    type: str
    choices: [strict, regex]
    default: strict
  signing_key:
    description:
      - Name of the certificate-key pair that signs the tokens (RS256), for example C(authentik Self-signed Certificate).
      - When not set, the signing key of an existing provider is left as it is.
    type: str
  authorization_flow:
    description:
      - Slug of the flow used when a user authorizes the client.
    type: str
    default: default-provider-authorization-implicit-consent
  invalidation_flow:
    description:
      - Slug of the flow used when the session with the provider ends.
    type: str
    default: default-provider-invalidation-flow
  authentication_flow:
    description:
      - Slug of the flow used to authenticate a user who is not logged in. When not set, it is left as it is.
    type: str
  scopes:
    description:
      - Scope property mappings to attach, each chosen by its scope name (or the exact mapping name).
      - When several mappings share a scope name, the one authentik manages itself is used.
      - The list is enforced exactly.
    type: list
    elements: str
    default: [openid, profile, email]
  groups_claim:
    description:
      - Also attach a scope mapping of scope name C(groups), so a client asking for the C(groups) scope gets a
        C(groups) claim with the names of the user's authentik groups (what zot's C(accessControl) groups match).
      - "When no mapping has that scope name, one named C(zotops.zot: groups claim) is made (after every other check
        passed); deleting the provider with O(state=absent) deletes that mapping again when no other provider
        uses it. Use M(zotops.zot.authentik_scope_mapping) to make your own instead."
      - authentik's managed C(profile) mapping also returns a C(groups) claim, and authentik merges the claims of
        all requested scopes, so a client asking for both C(profile) and C(groups) gets each group listed twice.
        zot only checks whether a group is in the list, so this is harmless for it.
    type: bool
    default: false
  sub_mode:
    description:
      - What the C(sub) claim identifies the user by. When not set, it is left as it is (authentik's default is
        V(hashed_user_id)).
    type: str
    choices: [hashed_user_id, user_id, user_uuid, user_username, user_email, user_upn]
  include_claims_in_id_token:
    description:
      - Include the scope claims in the ID token as well as at the userinfo endpoint. When not set, left as it is.
    type: bool
  access_token_validity:
    description:
      - How long access tokens are valid, in authentik's format (C(hours=1;minutes=30)). When not set, left as it is.
      - Checked before anything is written; keys are C(weeks), C(days), C(hours), C(minutes), C(seconds),
        C(milliseconds) and C(microseconds).
    type: str
  return_secret:
    description:
      - Return the client secret as RV(client_secret), only to a task with C(no_log=true).
      - V(false) leaves it out, so the task can run without C(no_log) and show its diff; a second task
        with C(no_log=true) can then read the secret (a no-op that sends no write).
    type: bool
    default: true
  application_slug:
    description:
      - Slug of the application the provider is (or will be) linked to, used to compute RV(issuer) before the
        application exists. When not set, the slug of the application linked to the provider is used.
    type: str
notes:
  - RV(client_secret) is returned only to a task with C(no_log=true), since Ansible would otherwise print it
    at C(-v); other tasks get a warning instead. The module never puts the secret in a diff.
'''

EXAMPLES = r'''
- name: OIDC client for zot
  zotops.zot.authentik_oauth2_provider:
    authentik_url: https://authentik.example.com
    authentik_token: "{{ authentik_api_token }}"
    name: zot
    redirect_uris:
      - https://zot.example.com/zot/auth/callback/oidc
    signing_key: authentik Self-signed Certificate
    authorization_flow: default-provider-authorization-implicit-consent
    scopes: [openid, profile, email]
    sub_mode: user_username
    application_slug: zot
  register: zot_oidc

- name: Use the result in zot's configuration
  ansible.builtin.debug:
    msg: "issuer {{ zot_oidc.issuer }}, client {{ zot_oidc.client_id }}"

- name: Remove the provider
  zotops.zot.authentik_oauth2_provider:
    name: zot
    state: absent
'''

RETURN = r'''
provider:
  description: The provider as authentik returns it, without the client secret (empty when absent).
  returned: always
  type: dict
id:
  description: Numeric id of the provider.
  returned: when the provider exists (not in check mode when it would be created)
  type: int
client_id:
  description: The OAuth2 client id.
  returned: when O(state=present)
  type: str
client_secret:
  description:
    - The OAuth2 client secret (sensitive; it is not in the diff).
    - Unknown (null) in check mode when the provider would be created without O(client_secret).
  returned: when O(state=present), O(return_secret=true) and the task has C(no_log=true)
  type: str
issuer:
  description: The OpenID issuer, C(<authentik_url>/application/o/<application slug>/) (null when no slug is known).
  returned: when O(state=present)
  type: str
  sample: https://authentik.example.com/application/o/zot/
application_slug:
  description: Slug of the application the issuer was computed for.
  returned: when O(state=present)
  type: str
'''

from ansible_collections.zotops.zot.plugins.module_utils.secret_results import return_secret
from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    HIDDEN, AuthentikClient, AuthentikError, changed_fields, fail, new_authentik_module,
)
from ansible_collections.zotops.zot.plugins.module_utils._authentik_oauth2_provider import (
    GROUPS_MAPPING, GROUPS_PLACEHOLDER, MAPPINGS, PATH, Provider, issuer_for, public,
)


def main():
    module = new_authentik_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        client_type=dict(type='str', default='confidential', choices=['confidential', 'public']),
        client_id=dict(type='str'),
        client_secret=dict(type='str', no_log=True),
        redirect_uris=dict(type='list', elements='str'),
        redirect_uri_matching=dict(type='str', default='strict', choices=['strict', 'regex']),
        signing_key=dict(type='str', no_log=False),
        authorization_flow=dict(type='str', default='default-provider-authorization-implicit-consent'),
        invalidation_flow=dict(type='str', default='default-provider-invalidation-flow'),
        authentication_flow=dict(type='str'),
        scopes=dict(type='list', elements='str', default=['openid', 'profile', 'email']),
        groups_claim=dict(type='bool', default=False),
        sub_mode=dict(type='str', choices=['hashed_user_id', 'user_id', 'user_uuid', 'user_username',
                                           'user_email', 'user_upn']),
        include_claims_in_id_token=dict(type='bool'),
        access_token_validity=dict(type='str', no_log=False),
        application_slug=dict(type='str'),
        return_secret=dict(type='bool', default=True),
    ))
    p = module.params
    result = dict(changed=False, provider={})
    client = None
    try:
        client = AuthentikClient.from_module(module)
        helper = Provider(module, client)
        existing = client.find_one(PATH, 'name', p['name'], 'OAuth2 provider')

        if p['state'] == 'absent':
            if existing:
                keys = ['name', 'client_id', 'redirect_uris']
                result['diff'] = dict(before=helper.view(helper.normalized(existing), keys), after={})
                result['changed'] = True
                if not module.check_mode:
                    client.delete('%s%d/' % (PATH, existing['pk']))
                made = [m for m in helper.mappings() if m.get('name') == GROUPS_MAPPING['name']
                        and m.get('pk') in (existing.get('property_mappings') or [])]
                for mapping in made:
                    users = client.get('%s%s/used_by/' % (MAPPINGS, mapping['pk'])) or []
                    others = [u for u in users if str(u.get('pk')) != str(existing['pk'])]
                    if not others:
                        result['diff']['before']['groups_claim_mapping'] = mapping['name']
                        if not module.check_mode:
                            client.delete('%s%s/' % (MAPPINGS, mapping['pk']))
            module.exit_json(**result)

        want = helper.desired()

        def make_groups_mapping():
            if helper.create_groups_mapping and not module.check_mode:
                # remembered, so a refused provider write removes it again
                made = client.create(MAPPINGS, dict(GROUPS_MAPPING), 'scope mapping %r' % GROUPS_MAPPING['name'])
                want['property_mappings'] = sorted(made['pk'] if pk == GROUPS_PLACEHOLDER else pk
                                                   for pk in want['property_mappings'])
        if existing is None:
            if not p['redirect_uris']:
                raise AuthentikError('redirect_uris: at least one redirect URI is needed to create provider %r '
                                     '(for zot: <externalUrl>/zot/auth/callback/oidc)' % p['name'])
            result['changed'] = True
            result['diff'] = dict(before={}, after=helper.view(want, sorted(want)))
            obj = dict(want, pk=None, client_id=want.get('client_id'), client_secret=want.get('client_secret'))
            if not module.check_mode:
                make_groups_mapping()
                obj = client.post(PATH, want)
        else:
            current = helper.normalized(existing)
            changes = changed_fields(current, want)
            obj = existing
            if changes:
                keys = sorted(changes)
                before = helper.view(current, keys)
                after = helper.view(dict(current, **changes), keys)
                if 'client_secret' in changes:
                    after['client_secret'] = HIDDEN + ' (changed)'
                result['changed'] = True
                result['diff'] = dict(before=before, after=after)
                if module.check_mode:
                    obj = dict(existing, **changes)
                else:
                    make_groups_mapping()
                    if 'property_mappings' in changes:
                        changes['property_mappings'] = want['property_mappings']
                    obj = client.patch('%s%d/' % (PATH, existing['pk']), changes)

        slug = p['application_slug'] or obj.get('assigned_application_slug')
        result.update(
            provider=public(obj),
            id=obj.get('pk'),
            client_id=obj.get('client_id'),
            issuer=issuer_for(client, obj, slug),
            application_slug=slug,
        )
        if p['return_secret']:
            return_secret(module, result, 'client_secret', obj.get('client_secret'),
                          warn_how='set no_log: true, or return_secret: false here and read it in a no_log task')
        module.exit_json(**result)
    except AuthentikError as e:
        fail(module, client, e, result)


if __name__ == '__main__':
    main()
