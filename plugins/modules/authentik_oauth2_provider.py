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
    HIDDEN, AuthentikClient, AuthentikError, changed_fields, check_length, check_regex_uris, check_timedelta,
    fail, new_authentik_module, sorted_list,
)

PATH = '/providers/oauth2/'
MAPPINGS = '/propertymappings/provider/scope/'
GROUPS_MAPPING = {
    'name': 'zotops.zot: groups claim',
    'scope_name': 'groups',
    'expression': 'return {"groups": [group.name for group in request.user.ak_groups.all()]}',
    'description': 'Your group memberships',
}
GROUPS_PLACEHOLDER = '(groups claim mapping)'


def uri_list(value):
    return [{'matching_mode': u.get('matching_mode'), 'url': u.get('url')} for u in (value or [])]


class Provider(object):
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.p = module.params
        self._flows = None
        self._certs = None
        self._mappings = None
        self.create_groups_mapping = False

    # look-up tables, each one list request, fetched only when needed
    def flows(self):
        if self._flows is None:
            self._flows = self.client.list('/flows/instances/')
        return self._flows

    def certs(self):
        if self._certs is None:
            self._certs = self.client.list('/crypto/certificatekeypairs/')
        return self._certs

    def mappings(self):
        if self._mappings is None:
            self._mappings = self.client.list('/propertymappings/provider/scope/')
        return self._mappings

    def flow_pk(self, option):
        slug = self.p[option]
        found = [f for f in self.flows() if f.get('slug') == slug]
        if not found:
            known = ', '.join(sorted(f.get('slug', '') for f in self.flows())) or 'none'
            raise AuthentikError('%s: no authentik flow has the slug %r (known flows: %s)' % (option, slug, known))
        return found[0]['pk']

    def flow_slug(self, pk):
        if pk is None:
            return None
        for f in self.flows():
            if f.get('pk') == pk:
                return f.get('slug')
        return pk

    def cert_pk(self):
        name = self.p['signing_key']
        found = [c for c in self.certs() if c.get('name') == name]
        if not found:
            known = ', '.join(sorted(c.get('name', '') for c in self.certs())) or 'none'
            raise AuthentikError('signing_key: no authentik certificate-key pair is named %r (known: %s)'
                                 % (name, known))
        if len(found) > 1:
            raise AuthentikError('signing_key: %d certificate-key pairs are named %r' % (len(found), name))
        if not found[0].get('private_key_available', True):
            raise AuthentikError('signing_key: the certificate %r has no private key, so it cannot sign tokens'
                                 % name)
        return found[0]['pk']

    def cert_name(self, pk):
        if pk is None:
            return None
        for c in self.certs():
            if c.get('pk') == pk:
                return c.get('name')
        return pk

    def wanted_scopes(self):
        scopes = list(self.p['scopes'] or [])
        if self.p['groups_claim'] and 'groups' not in scopes:
            scopes.append('groups')
        return scopes

    def mapping_pks(self):
        pks = []
        for scope in self.wanted_scopes():
            by_scope = [m for m in self.mappings() if m.get('scope_name') == scope]
            managed = [m for m in by_scope if m.get('managed') == 'goauthentik.io/providers/oauth2/scope-%s' % scope]
            by_name = [m for m in self.mappings() if m.get('name') == scope]
            found = managed or by_scope or by_name
            if not found and scope == 'groups' and self.p['groups_claim']:
                # made after every other check passed, just before the provider is written
                self.create_groups_mapping = True
                pks.append(GROUPS_PLACEHOLDER)
                continue
            if not found:
                known = ', '.join(sorted(set(m.get('scope_name', '') for m in self.mappings()))) or 'none'
                hint = ''
                if scope == 'groups':
                    hint = '; set groups_claim: true to have one made'
                raise AuthentikError('scopes: no authentik scope mapping has the scope name %r (known scope names: '
                                     '%s)%s' % (scope, known, hint))
            if len(found) > 1:
                raise AuthentikError('scopes: %d scope mappings have the scope name %r (%s): name the one to use '
                                     'by its mapping name instead'
                                     % (len(found), scope, ', '.join(sorted(m.get('name', '') for m in found))))
            if found[0]['pk'] not in pks:
                pks.append(found[0]['pk'])
        return sorted(pks)

    def mapping_label(self, pk):
        if pk == GROUPS_PLACEHOLDER:
            return 'groups'
        for m in self.mappings():
            if m.get('pk') == pk:
                return m.get('scope_name') or m.get('name')
        return pk

    # desired state in API form; all look-ups and every check authentik would make happen here, before any write
    def desired(self):
        p = self.p
        if p['redirect_uri_matching'] == 'regex':
            check_regex_uris('redirect_uris', p['redirect_uris'])
        check_timedelta('access_token_validity', p['access_token_validity'])
        check_length('client_id', p['client_id'])
        check_length('client_secret', p['client_secret'])
        want = {
            'name': p['name'],
            'client_type': p['client_type'],
            'authorization_flow': self.flow_pk('authorization_flow'),
            'invalidation_flow': self.flow_pk('invalidation_flow'),
            'property_mappings': self.mapping_pks(),
        }
        if p['redirect_uris'] is not None:
            want['redirect_uris'] = [{'matching_mode': p['redirect_uri_matching'], 'url': u} for u in p['redirect_uris']]
        if p['authentication_flow'] is not None:
            want['authentication_flow'] = self.flow_pk('authentication_flow')
        if p['signing_key'] is not None:
            want['signing_key'] = self.cert_pk()
        for key in ('client_id', 'client_secret', 'sub_mode', 'include_claims_in_id_token', 'access_token_validity'):
            if p[key] is not None:
                want[key] = p[key]
        return want

    def normalized(self, obj):
        """An API object reduced to the fields this module manages, in the same form as desired()."""
        out = dict(obj)
        out['redirect_uris'] = uri_list(obj.get('redirect_uris'))
        out['property_mappings'] = sorted(obj.get('property_mappings') or [])
        return out

    def view(self, api, keys):
        """What a user reads in a diff: slugs and names instead of ids, never the secret."""
        view = {}
        for key in keys:
            value = api.get(key)
            if key in ('authorization_flow', 'invalidation_flow', 'authentication_flow'):
                value = self.flow_slug(value)
            elif key == 'signing_key':
                value = self.cert_name(value)
            elif key == 'property_mappings':
                key, value = 'scopes', sorted_list(self.mapping_label(pk) for pk in (value or []))
            elif key == 'redirect_uris':
                value = ['%s (%s)' % (u['url'], u['matching_mode']) for u in uri_list(value)]
            elif key == 'client_secret':
                value = HIDDEN if value else value
            view[key] = value
        return view


def issuer_for(client, provider, slug):
    if provider and provider.get('issuer_mode') == 'global':
        return client.url + '/'
    if not slug:
        return None
    return '%s/application/o/%s/' % (client.url, slug)


def public(obj):
    return dict((k, v) for k, v in (obj or {}).items() if k != 'client_secret')


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
