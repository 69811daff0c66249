# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  zot_url:
    description:
      - Base URL of the zot registry, for example C(https://registry.example.com).
    type: str
    required: true
  username:
    description:
      - The zot user. Required with O(password) and O(api_key), and to test a new key when
        authenticating with O(session_cookie).
    type: str
  password:
    description:
      - The user's password (an htpasswd or LDAP user), sent with HTTP basic authentication.
      - One of O(password), O(api_key), O(session_cookie) and O(oidc_login) is required.
    type: str
  api_key:
    description:
      - A current zot API key (C(zak_...)) of O(username), sent with HTTP basic authentication.
        With it a key can make its own successor, so no human login is needed at rotation time.
      - zot refuses an expired key; a key that expired can only be replaced with a password or
        an OIDC session.
    type: str
  session_cookie:
    description:
      - The C(session) cookie of an OIDC login to zot (C(session=...) or just its value). The
        module sends it with the header C(X-ZOT-API-CLIENT) with value C(zot-ui), without which zot ignores
        the cookie.
    type: str
  validate_certs:
    description:
      - Verify zot's TLS certificate.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle to verify zot's certificate with.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: int
    default: 30
'''
