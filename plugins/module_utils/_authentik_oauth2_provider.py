# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What authentik_oauth2_provider wants of a provider, in authentik's API form: flows, signing key,
scope mappings (and the groups claim mapping it manages), and the views its diff shows."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.zotops.zot.plugins.module_utils.authentik import (
    HIDDEN, AuthentikError, check_length, check_regex_uris, check_timedelta, sorted_list,
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
