# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zot's http section: TLS, rate limits and authentication (htpasswd, LDAP, OpenID, API keys). Not named
http.py: pylint on Python 3.13 reads a module of that name as the standard library's http package."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.storage import _session_driver
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.values import (
    _abs_path, _bool, _dict, _fail, _get, _http_url, _int, _join, _list, _only_keys, _str)

# Provider keys zot v2 accepts under http.auth.openid.providers (pkg/api/config).
OPENID_PROVIDERS = ("oidc", "google", "gitlab")
OAUTH2_PROVIDERS = ("github",)

# gorilla/securecookie (zot's session cookies): a hash key of 32 or 64 bytes (HMAC-SHA256), an
# encryption key of 16, 24 or 32 bytes (AES-128/192/256).
SESSION_HASH_KEY_BYTES = (32, 64)
SESSION_ENCRYPT_KEY_BYTES = (16, 24, 32)


def _tls(settings):
    cert = _str(settings, "zot_http_tls_cert")
    key = _str(settings, "zot_http_tls_key")
    cacert = _str(settings, "zot_http_tls_cacert")
    if bool(cert) != bool(key):
        _fail("zot_http_tls_cert" if key else "zot_http_tls_key",
              "zot_http_tls_cert and zot_http_tls_key must be set together")
    if cacert and not cert:
        _fail("zot_http_tls_cacert", "mutual TLS needs zot_http_tls_cert and zot_http_tls_key too")
    if not cert:
        return None
    for var, value in (("zot_http_tls_cert", cert), ("zot_http_tls_key", key)) + (
            (("zot_http_tls_cacert", cacert),) if cacert else ()):
        _abs_path(var, value)
    tls = {"cert": cert, "key": key}
    if cacert:
        tls["cacert"] = cacert
    return tls


def _ratelimit(settings):
    rate = _get(settings, "zot_http_ratelimit_rate")
    if rate == "":
        rate = None
        settings = dict(settings, zot_http_ratelimit_rate=None)
    methods = _list(settings, "zot_http_ratelimit_methods")
    if rate is None and not methods:
        return None
    ratelimit = {}
    if rate is not None:
        ratelimit["rate"] = _int(settings, "zot_http_ratelimit_rate", minimum=1)
    out = []
    for index, entry in enumerate(methods):
        where = "zot_http_ratelimit_methods[%d]" % index
        if not isinstance(entry, dict) or "method" not in entry or "rate" not in entry:
            _fail(where, "must be a dict with 'method' (e.g. GET) and 'rate' (requests per second)")
        out.append({"method": str(entry["method"]).upper(),
                    "rate": _int({where + ".rate": entry["rate"]}, where + ".rate", minimum=1)})
    if out:
        ratelimit["methods"] = out
    return ratelimit


def _ldap(settings, config_dir):
    ldap = _dict(settings, "zot_ldap")
    if not ldap:
        return None, None
    var = "zot_ldap"
    known = {"address", "port", "insecure", "start_tls", "skip_verify", "subtree_search", "base_dn",
             "user_attribute", "user_group_attribute", "user_filter", "ca_cert", "bind_dn", "bind_password",
             "credentials_file"}
    _only_keys(var, ldap, sorted(known))
    for required in ("address", "base_dn"):
        if not ldap.get(required):
            _fail("%s.%s" % (var, required), "is required when zot_ldap is set")
    scoped = dict(("%s.%s" % (var, k), v) for k, v in ldap.items())
    out = {
        "address": _str(scoped, var + ".address"),
        "port": _int(scoped, var + ".port", 389, 1, 65535),
        "baseDN": _str(scoped, var + ".base_dn"),
        "userAttribute": _str(scoped, var + ".user_attribute", "uid"),
        "startTLS": _bool(scoped, var + ".start_tls", False),
        "insecure": _bool(scoped, var + ".insecure", False),
        "skipVerify": _bool(scoped, var + ".skip_verify", False),
        "subtreeSearch": _bool(scoped, var + ".subtree_search", True),
    }
    for key, zot_key in (("user_group_attribute", "userGroupAttribute"), ("user_filter", "userFilter"),
                         ("ca_cert", "caCert")):
        if ldap.get(key):
            out[zot_key] = _str(scoped, "%s.%s" % (var, key))
    bind_dn = ldap.get("bind_dn")
    bind_password = ldap.get("bind_password")
    if bool(bind_dn) != bool(bind_password):
        _fail(var, "bind_dn and bind_password must be given together (anonymous bind: give neither)")
    if bind_dn is not None and not isinstance(bind_dn, str):
        _fail(var + ".bind_dn", "must be a string (a DN such as cn=reader,dc=example,dc=org)")
    if bind_password is not None and not isinstance(bind_password, str):
        _fail(var + ".bind_password", "must be a string (quote it in YAML), got %s" % type(bind_password).__name__)
    if ldap.get("ca_cert"):
        _abs_path(var + ".ca_cert", ldap["ca_cert"])
    credentials = None
    path = _abs_path(var + ".credentials_file",
                     _str(scoped, var + ".credentials_file", _join(config_dir, "ldap-credentials.json")))
    # zot reads the bind DN and password only from this file, never from config.json.
    out["credentialsFile"] = path
    credentials = {"path": path, "kind": "ldap",
                   "content": {"bindDN": bind_dn or "", "bindPassword": bind_password or ""}}
    return out, credentials


def _openid(settings, config_dir):
    providers = _dict(settings, "zot_openid_providers")
    out = {}
    files = []
    known = {"name", "issuer", "client_id", "client_secret", "scopes", "keypath", "authurl", "tokenurl",
             "claim_mapping", "credentials_file"}
    for key in sorted(providers):
        var = "zot_openid_providers.%s" % key
        provider = providers[key]
        if key not in OPENID_PROVIDERS + OAUTH2_PROVIDERS:
            _fail("zot_openid_providers", "provider key %r is not one zot knows; use one of %s (the key is also "
                  "the last part of the callback URL <externalUrl>/zot/auth/callback/<key>)"
                  % (key, ", ".join(OPENID_PROVIDERS + OAUTH2_PROVIDERS)))
        if not isinstance(provider, dict):
            _fail(var, "must be a dict, got %s" % type(provider).__name__)
        _only_keys(var, provider, sorted(known))
        if not provider.get("client_id") or not provider.get("client_secret"):
            _fail(var, "client_id and client_secret are required (they go to the provider's credentials file)")
        for name in ("client_id", "client_secret"):
            if not isinstance(provider[name], str):
                _fail("%s.%s" % (var, name), "must be a string (quote it in YAML), got %s"
                      % type(provider[name]).__name__)
        if key in OPENID_PROVIDERS and key != "google" and not provider.get("issuer"):
            _fail(var + ".issuer", "is required for an OpenID Connect provider")
        if provider.get("issuer"):
            # zot fetches <issuer>/.well-known/openid-configuration at start and panics when it cannot.
            _http_url(var + ".issuer", provider["issuer"], "https://keycloak.example.com/realms/zot",
                      loopback_http_only=True)
        for name in ("authurl", "tokenurl"):
            if provider.get(name):
                _http_url("%s.%s" % (var, name), provider[name], "https://github.com/login/oauth/authorize",
                          loopback_http_only=True)
        scoped = dict(("%s.%s" % (var, k), v) for k, v in provider.items())
        path = _abs_path(var + ".credentials_file",
                         _str(scoped, var + ".credentials_file", _join(config_dir, "oidc-%s-credentials.json" % key)))
        entry = {"credentialsFile": path}
        for name, zot_key in (("name", "name"), ("issuer", "issuer"), ("authurl", "authurl"),
                              ("tokenurl", "tokenurl")):
            if provider.get(name):
                entry[zot_key] = _str(scoped, "%s.%s" % (var, name))
        if "keypath" in provider:
            entry["keypath"] = _str(scoped, var + ".keypath")
        scopes = provider.get("scopes")
        if scopes is None:
            scopes = ["openid", "profile", "email"] if key in OPENID_PROVIDERS else ["read:org", "user", "repo"]
        if not isinstance(scopes, (list, tuple)) or not all(isinstance(s, str) for s in scopes):
            _fail(var + ".scopes", "must be a list of strings")
        entry["scopes"] = list(scopes)
        claim_mapping = provider.get("claim_mapping")
        if claim_mapping:
            if not isinstance(claim_mapping, dict) or set(claim_mapping) - {"username", "groups"}:
                _fail(var + ".claim_mapping", "must be a dict with 'username' and/or 'groups'")
            entry["claimMapping"] = dict(claim_mapping)
        out[key] = entry
        files.append({"path": path, "kind": "openid",
                      "content": {"clientid": provider["client_id"], "clientsecret": provider["client_secret"]}})
    return ({"providers": out} if out else None), files


def _auth(settings, config_dir):
    auth = {}
    files = []
    if _list(settings, "zot_htpasswd_users") or _bool(settings, "zot_htpasswd_enabled", False):
        auth["htpasswd"] = {"path": _str(settings, "zot_htpasswd_path", _join(config_dir, "htpasswd"))}
    ldap, ldap_file = _ldap(settings, config_dir)
    if ldap:
        auth["ldap"] = ldap
        files.append(ldap_file)
    openid, openid_files = _openid(settings, config_dir)
    if openid:
        auth["openid"] = openid
        files.extend(openid_files)
    if _bool(settings, "zot_auth_apikey", False):
        auth["apikey"] = True
    bearer = _dict(settings, "zot_auth_bearer")
    if bearer:
        missing = [k for k in ("realm", "service", "cert") if not bearer.get(k)]
        if missing:
            _fail("zot_auth_bearer", "needs %s (zot enables bearer auth only with realm, service and cert)"
                  % ", ".join(missing))
        _http_url("zot_auth_bearer.realm", bearer["realm"], "https://auth.example.com/token")
        _abs_path("zot_auth_bearer.cert", bearer["cert"])
        auth["bearer"] = dict(bearer)
    mtls = _dict(settings, "zot_auth_mtls")
    if mtls:
        if not _str(settings, "zot_http_tls_cacert"):
            _fail("zot_auth_mtls", "needs zot_http_tls_cacert (the CA that signs client certificates)")
        auth["mtls"] = dict(mtls)
    fail_delay = _int(settings, "zot_auth_fail_delay", 0, minimum=0)
    if fail_delay:
        auth["failDelay"] = fail_delay
    session_keys = _dict(settings, "zot_auth_session_keys")
    if session_keys:
        unknown = sorted(set(session_keys) - {"hash_key", "encrypt_key"})
        if unknown:
            _fail("zot_auth_session_keys", "unknown keys %s (allowed: hash_key, encrypt_key)" % ", ".join(unknown))
        if not session_keys.get("hash_key"):
            _fail("zot_auth_session_keys.hash_key", "is required (a random string of 32 or 64 bytes)")
        for name, sizes, example in (("hash_key", SESSION_HASH_KEY_BYTES, "openssl rand -hex 32 (64 bytes)"),
                                     ("encrypt_key", SESSION_ENCRYPT_KEY_BYTES, "openssl rand -hex 16 (32 bytes)")):
            value = session_keys.get(name)
            if value in (None, "") and name == "encrypt_key":
                continue
            if not isinstance(value, str):
                _fail("zot_auth_session_keys.%s" % name, "must be a string, got %s" % type(value).__name__)
            size = len(value.encode("utf-8"))
            if size not in sizes:
                # The length is no secret worth keeping: it tells the user what to fix.
                _fail("zot_auth_session_keys.%s" % name, "must be exactly %s bytes (zot's session cookies need it), "
                      "got %d bytes; make one with %s"
                      % (" or ".join(str(n) for n in sizes), size, example))
        path = _abs_path("zot_auth_session_keys_file",
                         _str(settings, "zot_auth_session_keys_file", _join(config_dir, "session-keys.json")))
        auth["sessionKeysFile"] = path
        content = {"hashKey": session_keys["hash_key"]}
        if session_keys.get("encrypt_key"):
            content["encryptKey"] = session_keys["encrypt_key"]
        files.append({"path": path, "kind": "session_keys", "content": content})
    secure_session = _get(settings, "zot_auth_secure_session")
    if secure_session not in (None, ""):
        auth["secureSession"] = _bool(settings, "zot_auth_secure_session")
    session_driver = _session_driver(settings)
    # Sessions exist only with an authentication method: zot reads sessionDriver under http.auth.
    if session_driver and auth:
        auth["sessionDriver"] = session_driver
    return auth, files
