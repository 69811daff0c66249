# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the server role's variables: each reader fails naming the variable and what is allowed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from urllib.parse import urlparse

from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.masking import MASK

DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


def _fail(var, message):
    raise AnsibleFilterError("%s: %s" % (var, message))


def _get(settings, name, default=None):
    value = settings.get(name, default)
    return default if value is None else value


def _str(settings, name, default=""):
    value = _get(settings, name, default)
    if not isinstance(value, str):
        _fail(name, "must be a string, got %s" % type(value).__name__)
    return value


def _bool(settings, name, default=False):
    value = _get(settings, name, default)
    if not isinstance(value, bool):
        _fail(name, "must be true or false, got %r" % (value,))
    return value


def _int(settings, name, default=0, minimum=None, maximum=None):
    value = _get(settings, name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            _fail(name, "must be an integer, got %r" % (value,))
    if minimum is not None and value < minimum:
        _fail(name, "must be at least %d, got %d" % (minimum, value))
    if maximum is not None and value > maximum:
        _fail(name, "must be at most %d, got %d" % (maximum, value))
    return value


def _duration(settings, name, default):
    value = _str(settings, name, default)
    if not DURATION.match(value):
        _fail(name, "must be a Go duration such as 90s, 1h or 24h, got %r" % value)
    return value


def _dict(settings, name):
    value = _get(settings, name, {})
    if not isinstance(value, dict):
        _fail(name, "must be a dict, got %s" % type(value).__name__)
    return value


def _only_keys(var, value, allowed):
    """Fail naming the keys of dict ``value`` that are not in ``allowed`` (shown in that order)."""
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        _fail(var, "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(allowed)))


def _list(settings, name):
    value = _get(settings, name, [])
    if not isinstance(value, (list, tuple)):
        _fail(name, "must be a list, got %s" % type(value).__name__)
    return list(value)


def _join(directory, filename):
    return directory.rstrip("/") + "/" + filename


def _safe_url(url):
    """A URL as it may appear in a message: whatever comes before an '@' (userinfo, a password in
    it) masked, also in a malformed URL."""
    if not isinstance(url, str):
        return "a %s" % type(url).__name__
    if "@" in url:
        head, host = url.rsplit("@", 1)
        scheme = head.split("://", 1)[0] + "://" if "://" in head else ""
        url = "%s%s@%s" % (scheme, MASK, host)
    return repr(url)


def _parse_url(url):
    """urlparse(url), or None when url is not a string or has a malformed host or port."""
    if not isinstance(url, str):
        return None
    try:
        parsed = urlparse(url)
        if parsed.port is not None and parsed.port <= 0:
            return None
        return parsed
    except ValueError:
        return None


def _http_url(var, url, example, loopback_http_only=False):
    """Fail unless url is an absolute http(s) URL with a host (https only, except on loopback hosts,
    with loopback_http_only). The message shows the URL with any password masked."""
    allowed = "an https:// URL (http:// only on a loopback host)" if loopback_http_only else "an absolute http(s) URL"
    parsed = _parse_url(url)
    host = parsed.hostname if parsed else None
    if not parsed or parsed.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        _fail(var, "must be %s such as %s, got %s" % (allowed, example, _safe_url(url)))
    if loopback_http_only and parsed.scheme == "http" and not _is_loopback(host):
        _fail(var, "must be %s such as %s, got %s: an identity provider is reached over TLS unless it runs "
              "on this host" % (allowed, example, _safe_url(url)))
    return url


def _is_loopback(host):
    if host in ("localhost", "::1") or host.endswith(".localhost"):
        return True
    parts = host.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() and int(p) < 256 for p in parts)


def _abs_path(var, value):
    """Fail unless value is an absolute path (the role writes or zot reads it on the host)."""
    if not isinstance(value, str) or not value.startswith("/") or "\n" in value:
        _fail(var, "must be an absolute path on the host, got %r" % (value,))
    return value
