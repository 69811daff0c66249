# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  keycloak_url:
    description:
      - Base URL of the Keycloak server, for example C(https://sso.example.com) (no C(/auth) suffix on
        Keycloak 17 and later unless the server is configured with one).
      - The admin API is reached under C(<keycloak_url>/admin/realms/) and tokens under
        C(<keycloak_url>/realms/<auth_realm>/protocol/openid-connect/token).
    type: str
    required: true
    aliases: [auth_keycloak_url]
  auth_realm:
    description:
      - Realm the admin user or service account authenticates in (not the realm being managed).
    type: str
    default: master
  auth_username:
    description:
      - Admin user, authenticated with the password grant through O(auth_client_id).
      - Requires O(auth_password).
    type: str
  auth_password:
    description:
      - Password of O(auth_username).
    type: str
  auth_client_id:
    description:
      - Client used to obtain the token. With O(auth_username) it is the login client (C(admin-cli) by default);
        without it, the client whose service account authenticates with the client-credentials grant.
    type: str
    default: admin-cli
  auth_client_secret:
    description:
      - Secret of O(auth_client_id). Without O(auth_username), the client-credentials grant is used, and
        the client's service account needs the C(realm-management) roles for what the module manages
        (C(manage-clients), C(manage-users), C(view-realm)).
    type: str
  token:
    description:
      - An admin API access token to use as is; no token request is made.
      - Mutually exclusive with O(auth_username) and O(auth_client_secret).
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of O(keycloak_url).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signs the certificate of O(keycloak_url), when it is not in the system store.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request. Creating a realm on a busy Keycloak can take more than 10.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried when Keycloak cannot be reached or answers 502/503/504,
        with 0.5 s, 1 s, ... between attempts. Other errors are never retried.
    type: int
    default: 2
notes:
  - "The module is part of the C(zotops.zot.keycloak) action group, so the connection options can be set
    once through C(module_defaults: {group/zotops.zot.keycloak: {...}})."
  - Objects are found by their natural key (client ID, group name, username) in one read.
  - Check mode predicts exactly what a real run would change, and a run that changes nothing sends no write request.
  - With the environment variable E(ZOTOPS_HTTP_TRACE) set to a file path, the method, path and status of every
    HTTP request the module sends are appended to that file as JSON lines (no bodies, headers or credentials).
'''
