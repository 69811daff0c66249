#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: zot_api_key
short_description: Manage a zot user's API keys and rotate them into secret stores
version_added: 0.1.0
description:
  - Manages the API keys of one zot user through zot's C(/zot/auth/apikey) API (zot needs
    C(http.auth.apikey=true)).
  - O(state=present) makes sure a key with O(label) exists with at least O(min_days_valid) days
    of validity left; O(state=rotated) always makes a new one; both then store it and retire the
    old ones. O(state=absent) revokes keys by O(label) or O(id).
  - A new key goes through four steps, like an AWS Secrets Manager rotation. B(create) the key;
    B(set) it in every store of O(stores); B(test) that zot accepts it (and, with
    O(test_push_repository), that it may push); B(finish) by revoking the older keys with the
    same label. Every store is read before the key is made. When C(create), C(set) or C(test)
    fails, the stores get back what they held, the new key is revoked and the error names the
    step. When C(finish) fails the new key stays (it is stored and works) and a new run revokes
    the rest.
  - zot shows a key's secret only when it makes it. The module returns it in RV(api_key) only
    when it made a key and the task has C(no_log) set to true; it never lists secrets.
author:
  - zotops maintainers (@zotops)
extends_documentation_fragment:
  - zotops.zot.zot_api
  - zotops.zot.secret_stores
  - zotops.zot.attributes.actiongroup_zot
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reports whether a rotation is due (from the keys' expiration dates) without making a key.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The keys with O(label), by uuid and expiration date; never a secret.
options:
  label:
    description:
      - The key's label in zot. Keys are told apart by label; the rotation retires every other key
        with this label.
      - Required unless O(state=absent) with O(id).
    type: str
  state:
    description:
      - V(present) makes a key only when none with O(label) has O(min_days_valid) days left.
      - V(rotated) always makes a new key.
      - V(absent) revokes every key with O(label), or the key O(id).
    type: str
    choices: [present, rotated, absent]
    default: present
  id:
    description: With O(state=absent), the uuid of the key to revoke.
    type: str
  min_days_valid:
    description: With O(state=present), rotate when the newest key with O(label) has fewer days left.
    type: int
    default: 30
  valid_days:
    description:
      - Days a new key is valid. V(0) makes a key that never expires. Ignored when
        O(expiration_date) is set.
    type: int
    default: 90
  expiration_date:
    description: A new key's expiration, RFC 3339 (for example C(2026-12-31T00:00:00Z)); must be in the future.
    type: str
  scopes:
    description: Scopes recorded with a new key.
    type: list
    elements: str
    default: []
  test_push_repository:
    description:
      - Also test that the new key may push to this repository, by uploading the 2-byte blob C({})
        in one request (C(POST /v2/<repo>/blobs/uploads/?digest=sha256:44136f...)). This needs only
        the C(create) action, so it works for an immutable CI tier (C([read, create])); no upload
        is left open, because cancelling one would need C(delete).
      - The probe leaves that one blob, unreferenced, in the repository (the repository shows in
        the catalog if it was new) until zot's garbage collection removes it (after C(gcDelay)).
        Every probe uploads the same blob, so nothing grows. Point it at a repository CI pushes to.
    type: str
  oidc_login:
    description:
      - Sign in to zot through its OpenID Connect login with the account's credentials at the IdP,
        without a browser, and use that session. This makes the B(first) key of an OIDC-only account
        (a CI service account), or a new one when its key was lost or expired.
      - The module follows zot's C(/zot/auth/login?provider=...), signs in on the IdP's own pages
        (Keycloak's login form; authentik's flow executor API, answering the identification,
        password and user login stages), hands the code to zot's callback and uses the session
        cookie zot sets. When done it logs out (C(POST /zot/auth/logout)), so zot keeps no session.
      - When the IdP asks for anything else (a one-time code or another MFA stage, consent, a
        Keycloak required action, a captcha, a stage it does not know) or refuses the password,
        the task fails naming that page or stage, before zot's callback, so nothing changes on zot.
      - With O(api_key), the key is used while zot accepts it; the sign-in happens only when zot
        refuses the key (expired, revoked). Cannot be combined with O(password) or O(session_cookie).
      - Check mode does not sign in (zot's callback writes a session and the user's groups). Without a
        working O(api_key) it cannot list the keys, and predicts a sign-in and a new key (a warning
        says so); the real run makes nothing when a key with O(label) has O(min_days_valid) days left.
      - The IdP connection uses O(validate_certs), O(ca_path) and O(timeout) too.
    type: dict
    suboptions:
      username:
        description: The account's username at the IdP (for authentik, its username or email).
        type: str
        required: true
      password:
        description:
          - The account's password at the IdP. For authentik also an app password token of the
            account (the default password stage accepts them).
        type: str
        required: true
      provider:
        description: The name of zot's OpenID provider (the key under C(http.auth.openid.providers)).
        type: str
        default: oidc
      idp:
        description:
          - Which IdP's sign-in to speak. By default detected from the authorization URL zot redirects
            to (C(/realms/<realm>/protocol/openid-connect/auth) is Keycloak, C(/application/o/authorize/)
            is authentik).
        type: str
        choices: [keycloak, authentik]
  journal_path:
    description:
      - A file (on the node running the module) recording a new key until its rotation ends. If a
        failed rotation cannot revoke its new key (zot down), the next run revokes it first, so no
        key is left behind.
    type: path
notes:
  - zot v2.1.20 gives a request authenticated with an API key the groups stored at the user's last
    password or OIDC login, so access control sees the same groups as then.
  - With O(oidc_login), O(username) may be left out; it is then the name zot gives the account
    (from its username claim, by default the email), reported in RV(oidc_login.zot_username).
seealso:
  - module: zotops.zot.secret_store_value
'''

EXAMPLES = r'''
- name: Keep a CI key with at least 30 days left, stored where CI reads it
  zotops.zot.zot_api_key:
    zot_url: https://registry.example.com
    username: zot-ci
    api_key: "{{ current_ci_key }}"
    label: ci
    valid_days: 90
    min_days_valid: 30
    test_push_repository: ci/probe
    journal_path: /var/lib/zotops/zot-ci-key.journal
    stores:
      - type: onepassword_connect
        url: https://op-connect.example.com
        token: "{{ op_connect_token }}"
        vault: blumeops
        item: Forgejo Secrets
        field: zot-ci-api
      - type: forgejo
        url: https://forge.example.com
        token: "{{ forgejo_token }}"
        owner: eblume
        repo: blumeops
        secret_name: ZOT_CI_API_KEY
  no_log: true
  register: ci_key

- name: The first key of an OIDC-only CI account, without a browser (or a new one when its key was lost)
  zotops.zot.zot_api_key:
    zot_url: https://registry.example.com
    oidc_login:
      username: zot-ci
      password: "{{ zot_ci_idp_password }}"
    label: ci
    stores:
      - type: file
        path: /var/lib/zotops/zot-ci.key
  no_log: true

- name: Is a rotation due? (check mode makes no key)
  zotops.zot.zot_api_key:
    zot_url: https://registry.example.com
    username: zot-ci
    password: "{{ zot_ci_password }}"
    label: ci
  check_mode: true
  register: due

- name: Revoke every key labelled old-ci
  zotops.zot.zot_api_key:
    zot_url: https://registry.example.com
    username: zot-ci
    password: "{{ zot_ci_password }}"
    label: old-ci
    state: absent
'''

RETURN = r'''
changed:
  description: Whether a key was made or revoked (in check mode, would be).
  returned: always
  type: bool
rotation_due:
  description: Whether a new key is (or was) needed.
  returned: when O(state) is V(present) or V(rotated)
  type: bool
reason:
  description: Why a rotation is due or not.
  returned: when O(state) is V(present) or V(rotated)
  type: str
  sample: the newest key has 12.5 days left (< 30)
key:
  description: Details of the new key, or of the current key when none was made. Never a secret.
  returned: when O(state) is V(present) or V(rotated) and a key exists or was made
  type: dict
  contains:
    uuid:
      description: The key's id.
      type: str
    label:
      description: The key's label.
      type: str
    expirationDate:
      description: When the key expires; null when it never does.
      type: str
    createdAt:
      description: When zot made the key.
      type: str
    scopes:
      description: The key's scopes.
      type: list
      elements: str
days_left:
  description: Days of validity left for RV(key); null when it never expires.
  returned: when RV(key) is returned
  type: float
api_key:
  description:
    - The new key's secret (C(zak_...)). Only when the module made a key and the task has
      C(no_log) set to true; otherwise RV(api_key_returned) is false and a warning says why.
  returned: when a key was made and the task has no_log
  type: str
api_key_returned:
  description: Whether RV(api_key) is in the result.
  returned: when a key was made
  type: bool
revoked:
  description: Uuids of the keys revoked.
  returned: always
  type: list
  elements: str
recovered:
  description: Uuids of keys left by an earlier failed rotation (see O(journal_path)) and revoked now.
  returned: when O(state) is V(present) or V(rotated)
  type: list
  elements: str
stores:
  description: One result per store (C(store), C(type), C(changed)); never the value.
  returned: when a key was made
  type: list
  elements: dict
step:
  description:
    - The step that failed (V(read), V(create), V(set), V(test), V(finish), V(recover)), or
      V(sign-in) when the OIDC sign-in of O(oidc_login) stopped (nothing was changed on zot).
  returned: failure
  type: str
oidc_login:
  description:
    - After an OIDC sign-in, what it took; after a failed one, where it stopped.
  returned: when O(oidc_login) signed in or failed to
  type: dict
  contains:
    idp:
      description: V(keycloak) or V(authentik).
      type: str
    stage:
      description:
        - Failure only. The IdP page (Keycloak form id, for example C(kc-otp-login-form)) or authentik
          flow stage (component, for example C(ak-stage-authenticator-validate)) that stopped the sign-in.
      type: str
    zot_username:
      description: The name zot gives the account (from its username claim).
      type: str
    provider:
      description: zot's OpenID provider used.
      type: str
    http_requests:
      description: HTTP requests the sign-in took, zot's included.
      type: int
rollback:
  description: What the rollback did for each store and for the new key.
  returned: failure
  type: list
  elements: str
'''

from ansible_collections.zotops.zot.plugins.module_utils._oidc_login import (
    OIDC_LOGIN_OPTIONS, OidcLoginError, check_mode_result, zot_client)
from ansible_collections.zotops.zot.plugins.module_utils.secret_results import return_secret
from ansible_collections.zotops.zot.plugins.module_utils.secret_stores import (
    STORE_ARGUMENT_SPEC, SecretStoreError, build_stores)
from ansible_collections.zotops.zot.plugins.module_utils.zot_api import (
    ZotApiError, new_zot_api_module)
from ansible_collections.zotops.zot.plugins.module_utils._api_key_rotation import (
    Journal, Rotation, RotationError, days_left, expiration_from_days, parse_time, public_key_details,
    rotation_due, select_label, store_error_text, utcnow)


def diff_view(keys):
    return {'keys': sorted(['%s expires %s' % (k.get('uuid'), public_key_details(k).get('expirationDate') or 'never')
                            for k in keys])}


def argument_spec():
    return dict(
        label=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'rotated', 'absent']),
        id=dict(type='str'),
        min_days_valid=dict(type='int', default=30),
        valid_days=dict(type='int', default=90),
        expiration_date=dict(type='str'),
        scopes=dict(type='list', elements='str', default=[]),
        test_push_repository=dict(type='str'),
        journal_path=dict(type='path'),
        stores=dict(type='list', elements='dict', default=[], options=STORE_ARGUMENT_SPEC),
        oidc_login=dict(type='dict', options=OIDC_LOGIN_OPTIONS),
    )


def new_key_expiration(module):
    """A new key's expirationDate (None: never); bad day counts or dates fail before any request."""
    p = module.params
    if p['valid_days'] < 0:
        module.fail_json(msg='valid_days must be 0 (never expires) or more, got %s' % p['valid_days'])
    if p['min_days_valid'] < 0:
        module.fail_json(msg='min_days_valid must be 0 or more, got %s' % p['min_days_valid'])
    if p['valid_days'] and not p['expiration_date'] and p['state'] == 'present' and p['min_days_valid'] >= p['valid_days']:
        module.fail_json(msg='min_days_valid (%s) must be less than valid_days (%s), or every run rotates'
                             % (p['min_days_valid'], p['valid_days']))
    if not p['expiration_date']:
        return expiration_from_days(p['valid_days'])
    try:
        exp = parse_time(p['expiration_date'])
    except ValueError:
        exp = None
    if exp is None or exp <= utcnow():
        module.fail_json(msg='expiration_date must be a future RFC 3339 time such as '
                             '2026-12-31T00:00:00Z, got %r' % p['expiration_date'])
    return p['expiration_date']


def revoke_keys(module, client, result):
    """state=absent: revoke every key with the label, or the key with the id."""
    p = module.params
    try:
        keys = client.list_keys()
    except ZotApiError as e:
        module.fail_json(msg=str(e), **result)
    doomed = [k for k in keys if (p['id'] and k.get('uuid') == p['id']) or
              (p['label'] and k.get('label') == p['label'])]
    result['changed'] = bool(doomed)
    if module._diff:
        result['diff'] = dict(before=diff_view(doomed), after=diff_view([]))
    if module.check_mode:
        result['revoked'] = [k['uuid'] for k in doomed]
        return
    for k in doomed:
        try:
            client.revoke_key(k['uuid'])
        except ZotApiError as e:
            module.fail_json(msg=str(e), **result)
        result['revoked'].append(k['uuid'])


def recover_pending(module, client, journal, result):
    """Revoke the keys a failed rotation could not revoke (zot was down); returns their uuids."""
    if not journal.pending() or module.check_mode:
        return []
    early = Rotation(client, module.params['label'], journal=journal)
    try:
        early.recover()
    except RotationError as e:
        module.fail_json(msg=str(e), step=e.step, **result)
    result['changed'] = bool(early.result['recovered'])
    return early.result['recovered']


def predict_rotation(module, stores, keys, result):
    """Check mode: fail as the real run would before making a key (a file store's unusable directory), else list the revocations."""
    for store in stores:
        try:
            store.check_writable()
        except SecretStoreError as e:
            module.fail_json(msg='API key rotation would fail at step read: store %s: %s'
                                 % (store.label, store_error_text(store, e)), step='read', **result)
    result['revoked'] = [k['uuid'] for k in keys]


def rotate(module, client, stores, journal, expiration, keys, recovered, result):
    """Make, store, test a new key and retire the old ones; the secret goes back only under no_log."""
    p = module.params
    rotation = Rotation(client, p['label'], stores=stores, scopes=p['scopes'], expiration_date=expiration,
                        test_push_repository=p['test_push_repository'], journal=journal)
    previous = p['api_key'] if p['api_key'] else None
    try:
        created, secret = rotation.run(previous_value=previous, keys=None if recovered else keys)
    except RotationError as e:
        result.update(rotation.result)
        result['recovered'] = recovered + rotation.result['recovered']
        result['changed'] = bool(result['revoked']) or e.step == 'finish' or bool(result['recovered'])
        module.fail_json(msg=str(e), step=e.step, rollback=e.details.get('rollback', []), **result)
    result.update(rotation.result)
    result['recovered'] = recovered + rotation.result['recovered']
    result['key'] = public_key_details(created)
    result['days_left'] = days_left(created)
    # Without stores the returned key is the only copy: say why it is missing.
    result['api_key_returned'] = return_secret(
        module, result, 'api_key', secret,
        warn_how=None if stores else 'the new key is in no store either; set no_log: true or add stores')


def ensure_key(module, client, stores, expiration, result):
    """state=present (a key with enough days left) and state=rotated (always a new key)."""
    p = module.params
    journal = Journal(p['journal_path'])
    recovered = recover_pending(module, client, journal, result)
    try:
        keys = select_label(client.list_keys(), p['label'])
    except ZotApiError as e:
        module.fail_json(msg='API key rotation failed at step read: %s' % e, step='read', **result)
    due, reason, best = rotation_due(keys, p['min_days_valid'])
    if p['state'] == 'rotated':
        due, reason = True, 'state=rotated'
    result.update(rotation_due=due, reason=reason, recovered=recovered)
    if best is not None:
        result['key'] = public_key_details(best)
        result['days_left'] = days_left(best)
    if not due:
        return
    result['changed'] = True
    if module._diff:
        result['diff'] = dict(before=diff_view(keys), after={'keys': ['(new key) expires %s' % (expiration or 'never')]})
    if module.check_mode:
        predict_rotation(module, stores, keys, result)
        return
    rotate(module, client, stores, journal, expiration, keys, recovered, result)


def main():
    module = new_zot_api_module(
        argument_spec(),
        credentials=('oidc_login',),
        mutually_exclusive=[('label', 'id'), ('oidc_login', 'password', 'session_cookie')],
        required_if=[('state', 'present', ['label']), ('state', 'rotated', ['label']),
                     ('state', 'absent', ['label', 'id'], True)],
    )
    p = module.params
    # Everything is validated before any request.
    expiration = new_key_expiration(module)
    try:
        stores = build_stores(p['stores']) if p['state'] != 'absent' else []
        # With oidc_login: sign in through zot's OIDC login (not in check mode) unless api_key works.
        client, sign_in, no_sign_in = zot_client(p, module.check_mode)
    except (ZotApiError, SecretStoreError) as e:
        module.fail_json(msg=str(e))
    except OidcLoginError as e:
        module.fail_json(msg=e.report(), step='sign-in', changed=False,
                         oidc_login=dict(idp=e.idp, stage=e.stage))
    if client is None:
        module.warn('check mode did not sign in through OIDC, so it could not list the keys: %s' % no_sign_in)
        module.exit_json(**check_mode_result(p, no_sign_in))
    p['username'] = client.username
    if stores and p['state'] != 'absent' and not p['username']:
        module.fail_json(msg='username is required to test a new key')

    result = dict(changed=False, revoked=[])
    if sign_in:
        result['oidc_login'] = sign_in.summary()
    if p['state'] == 'absent':
        revoke_keys(module, client, result)
    else:
        ensure_key(module, client, stores, expiration, result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
