# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one HTTP exchange the API clients share: ansible's open_url, redirects never followed (so a
token is not sent elsewhere), HTTP errors returned as responses for the client to explain, and a
transport failure raised as Unreachable for the client to name its server in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url


class HttpResponse(object):
    def __init__(self, status, body, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}

    def json(self):
        return json.loads(to_text(self.body)) if self.body else None

    def header(self, name):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class Unreachable(Exception):
    """No HTTP answer at all (connection refused, DNS, TLS, timeout, a malformed URL): the reason."""


def send(method, url, headers=None, data=None, validate_certs=True, ca_path=None, timeout=30):
    """One request; ``data`` is bytes, text, or a dict/list sent as JSON."""
    headers = dict(headers or {})
    body = None
    if data is not None:
        if isinstance(data, (dict, list)):
            body = to_bytes(json.dumps(data))
            headers.setdefault('Content-Type', 'application/json')
        else:
            body = to_bytes(data)
    try:
        resp = open_url(url, method=method, headers=headers, data=body, validate_certs=validate_certs,
                        ca_path=ca_path, timeout=timeout, follow_redirects='none')
        return HttpResponse(resp.getcode(), resp.read(), dict(resp.headers.items()))
    except HTTPError as e:
        try:
            payload = e.read()
        except Exception:
            payload = b''
        return HttpResponse(e.code, payload, dict(e.headers.items()) if e.headers else {})
    except (URLError, OSError, ValueError) as e:
        raise Unreachable(to_native(getattr(e, 'reason', e)))
