# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build zot's config.json as data from the zotops.zot.server role's variables.

Every secret goes to a credentials file (LDAP bind, OpenID client, session keys, sync upstreams, S3
keys), so the config itself holds none and its diff can be shown as it is. The one exception is a
Redis password (zot v2.1.20 reads it from config.json only): the role then masks the config's diff
(zot_config_masked_diff) and hides the config from task output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import hashlib
import json
import re

from ansible.errors import AnsibleFilterError

from urllib.parse import quote, urlparse

from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_extensions, config_extensions
from ansible_collections.zotops.zot.plugins.module_utils.zot_credentials import credentials_text

# Provider keys zot v2 accepts under http.auth.openid.providers (pkg/api/config).
OPENID_PROVIDERS = ("oidc", "google", "gitlab")
OAUTH2_PROVIDERS = ("github",)
DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
LOG_LEVELS = ("panic", "fatal", "error", "warn", "info", "debug", "trace")
# Keys whose values are secrets; the config must carry none of them inline (case-insensitive).
SECRET_KEYS = ("clientsecret", "bindpassword", "password", "hashkey", "encryptkey", "secret",
               "secretkey", "accesskey", "token")
MASK = "********"


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


# gorilla/securecookie (zot's session cookies): a hash key of 32 or 64 bytes (HMAC-SHA256), an
# encryption key of 16, 24 or 32 bytes (AES-128/192/256).
SESSION_HASH_KEY_BYTES = (32, 64)
SESSION_ENCRYPT_KEY_BYTES = (16, 24, 32)


S3_KEYS = ("bucket", "region", "endpoint", "force_path_style", "skip_verify", "root_directory",
           "storage_class", "access_key_id", "secret_access_key", "session_token")
REDIS_KEYS = ("url", "key_prefix", "username", "password")
REDIS_SCHEMES = ("redis", "rediss", "unix")
DYNAMODB_KEYS = ("region", "endpoint", "table_prefix")
# zot's DynamoDB tables (pkg/meta, pkg/storage/cache): it creates the missing ones at start.
DYNAMODB_TABLES = (("cachetablename", "blobs"), ("repometatablename", "repo-meta"),
                   ("imagemetatablename", "image-meta"), ("repoblobsinfotablename", "repo-blobs-info"),
                   ("userdatatablename", "user-data"), ("apikeytablename", "api-keys"),
                   ("versiontablename", "version"))
SESSION_STORES = ("local", "redis")


def _s3(settings):
    """storage.storageDriver for S3 (or an S3-compatible server), and the credentials file, if any.

    zot's S3 driver takes keys inline (accesskey/secretkey) or from the AWS SDK's default chain; the
    role uses the chain's shared credentials file (AWS_SHARED_CREDENTIALS_FILE, set in the unit), so
    config.json never holds them."""
    s3 = _dict(settings, "zot_storage_s3")
    if not s3:
        return None, None
    unknown = sorted(set(s3) - set(S3_KEYS))
    if unknown:
        _fail("zot_storage_s3", "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(S3_KEYS)))
    for key in ("bucket", "region"):
        if not isinstance(s3.get(key), str) or not s3[key]:
            _fail("zot_storage_s3.%s" % key, "is required (a non-empty string)")
    driver = {
        "name": "s3",
        "bucket": s3["bucket"],
        "region": s3["region"],
        "rootdirectory": "/" + str(s3.get("root_directory") or "/zot").strip("/"),
        "forcepathstyle": bool(s3.get("force_path_style", False)),
        "skipverify": bool(s3.get("skip_verify", False)),
        "secure": True,
    }
    endpoint = s3.get("endpoint") or ""
    if endpoint:
        _http_url("zot_storage_s3.endpoint", endpoint, "https://minio.example.com:9000")
        parsed = urlparse(endpoint)
        driver["regionendpoint"] = endpoint.rstrip("/")
        driver["secure"] = parsed.scheme == "https"
    if s3.get("storage_class"):
        driver["storageclass"] = s3["storage_class"]
    keys = [k for k in ("access_key_id", "secret_access_key") if s3.get(k)]
    if len(keys) == 1:
        _fail("zot_storage_s3", "access_key_id and secret_access_key must be given together (or neither, "
              "for credentials from the environment or an instance role)")
    credentials = None
    if keys:
        lines = ["[default]", "aws_access_key_id = %s" % s3["access_key_id"],
                 "aws_secret_access_key = %s" % s3["secret_access_key"]]
        if s3.get("session_token"):
            lines.append("aws_session_token = %s" % s3["session_token"])
        path = _abs_path("zot_storage_s3_credentials_file",
                         _str(settings, "zot_storage_s3_credentials_file",
                              _join(_str(settings, "zot_config_dir", "/etc/zot"), "s3-credentials")))
        credentials = {"path": path, "kind": "s3", "content": "\n".join(lines) + "\n"}
    return driver, credentials


def _redis(settings):
    """The Redis connection zot shares between its cache, its metadata and (optionally) its sessions."""
    redis = _dict(settings, "zot_redis")
    if not redis:
        return None
    unknown = sorted(set(redis) - set(REDIS_KEYS))
    if unknown:
        _fail("zot_redis", "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(REDIS_KEYS)))
    url = redis.get("url")
    parsed = _parse_url(url)
    if not parsed or parsed.scheme not in REDIS_SCHEMES or not (parsed.netloc or parsed.path):
        _fail("zot_redis.url", "must be a redis://host:port/db, rediss://host:port/db or unix:///path URL, got %s"
              % _safe_url(url))
    if parsed.password:
        _fail("zot_redis.url", "must not carry a password: give it as zot_redis.password (it is masked in "
              "diffs and logs)")
    if redis.get("password"):
        # zot v2.1.20 ignores a password key next to `url` (go-redis' ParseURL takes the URL alone),
        # so the credentials go into the URL's userinfo.
        userinfo = quote(str(redis.get("username") or ""), safe="") + ":" + quote(str(redis["password"]), safe="")
        url = "%s://%s@%s%s" % (parsed.scheme, userinfo, parsed.netloc, url.split(parsed.netloc, 1)[1]
                                if parsed.netloc else url.split("://", 1)[1])
    elif redis.get("username"):
        _fail("zot_redis.username", "needs zot_redis.password")
    return {"name": "redis", "url": url, "keyprefix": str(redis.get("key_prefix") or "zot")}


def _dynamodb(settings):
    """DynamoDB as zot's cache and metadata store (the alternative to Redis on AWS)."""
    dynamodb = _dict(settings, "zot_dynamodb")
    if not dynamodb:
        return None
    unknown = sorted(set(dynamodb) - set(DYNAMODB_KEYS))
    if unknown:
        _fail("zot_dynamodb", "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(DYNAMODB_KEYS)))
    if not isinstance(dynamodb.get("region"), str) or not dynamodb["region"]:
        _fail("zot_dynamodb.region", "is required (a non-empty string)")
    if _dict(settings, "zot_redis"):
        _fail("zot_dynamodb", "and zot_redis are both set: zot has one cache and metadata store, choose one")
    driver = {"name": "dynamodb", "region": dynamodb["region"]}
    endpoint = dynamodb.get("endpoint") or ""
    if endpoint:
        _http_url("zot_dynamodb.endpoint", endpoint, "http://127.0.0.1:8000")
        driver["endpoint"] = endpoint.rstrip("/")
    prefix = str(dynamodb.get("table_prefix") or "zot")
    if not re.match(r"^[A-Za-z0-9_.-]{1,200}$", prefix):
        _fail("zot_dynamodb.table_prefix", "must be letters, digits, '_', '-' or '.', got %r" % prefix)
    for key, suffix in DYNAMODB_TABLES:
        driver[key] = "%s-%s" % (prefix, suffix)
    return driver


def _storage(settings):
    storage = {
        "rootDirectory": _str(settings, "zot_data_dir", "/var/lib/zot"),
        "dedupe": _bool(settings, "zot_storage_dedupe", True),
        "gc": _bool(settings, "zot_storage_gc", True),
    }
    if not storage["rootDirectory"].startswith("/"):
        _fail("zot_data_dir", "must be an absolute path, got %r" % storage["rootDirectory"])
    if storage["gc"]:
        storage["gcDelay"] = _duration(settings, "zot_storage_gc_delay", "1h")
        storage["gcInterval"] = _duration(settings, "zot_storage_gc_interval", "24h")
    files = []
    driver, credentials = _s3(settings)
    if driver:
        storage["storageDriver"] = driver
    if credentials:
        files.append(credentials)
    # Cache (blob dedupe index) and metadata (tags, API keys, user data) both go to the remote store,
    # so every replica sees the same repositories and keys.
    redis, dynamodb = _redis(settings), _dynamodb(settings)
    remote = redis or dynamodb
    if remote:
        storage["remoteCache"] = True
        storage["cacheDriver"] = remote
    return storage, files


def _session_driver(settings):
    store = _str(settings, "zot_session_store") or ("redis" if _dict(settings, "zot_redis") else "local")
    if store not in SESSION_STORES:
        _fail("zot_session_store", "must be one of %s, got %r" % (", ".join(SESSION_STORES), store))
    if store == "local":
        return None
    redis = _redis(settings)
    if not redis:
        _fail("zot_session_store", "is redis but zot_redis is not set (the Redis the sessions go to)")
    redis["keyprefix"] = redis["keyprefix"] + "session"
    return redis


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
    unknown = sorted(set(ldap) - known)
    if unknown:
        _fail(var, "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(sorted(known))))
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
        unknown = sorted(set(provider) - known)
        if unknown:
            _fail(var, "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(sorted(known))))
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


def _sync(settings, config_dir):
    registries = []
    for index, entry in enumerate(_list(settings, "zot_sync_registries")):
        var = "zot_sync_registries[%d]" % index
        if not isinstance(entry, dict):
            _fail(var, "must be a dict in zot's sync registry format ({urls: [...], content: [...], ...})")
        urls = entry.get("urls")
        if not isinstance(urls, (list, tuple)) or not urls:
            _fail(var + ".urls", "is required: a list of upstream registry URLs such as https://ghcr.io")
        for url_index, url in enumerate(urls):
            _http_url("%s.urls[%d]" % (var, url_index), url, "https://ghcr.io")
        registries.append(dict(entry))
    credentials = {}
    for index, entry in enumerate(_list(settings, "zot_pull_through")):
        var = "zot_pull_through[%d]" % index
        if not isinstance(entry, dict):
            _fail(var, "must be a dict with 'name' and 'url'")
        unknown = sorted(set(entry) - {"name", "url", "urls", "prefix", "tls_verify", "cert_dir", "username",
                                       "password", "max_retries", "retry_delay"})
        if unknown:
            _fail(var, "unknown keys %s" % ", ".join(unknown))
        name = entry.get("name")
        urls = entry.get("urls") or ([entry["url"]] if entry.get("url") else [])
        if not name or not isinstance(name, str) or name.startswith("/"):
            _fail(var + ".name", "must be the local namespace the cache lives under, e.g. docker.io")
        if not urls:
            _fail(var + ".url", "is required (the upstream registry, e.g. https://registry-1.docker.io)")
        if not isinstance(urls, (list, tuple)):
            _fail(var + ".urls", "must be a list of upstream registry URLs")
        for url in urls:
            _http_url(var + ".url", url, "https://registry-1.docker.io")
        registry = {
            "urls": list(urls),
            "onDemand": True,
            "tlsVerify": bool(entry.get("tls_verify", True)),
            "content": [{"prefix": entry.get("prefix", "**"), "destination": "/" + name.strip("/")}],
        }
        if entry.get("cert_dir"):
            registry["certDir"] = _abs_path(var + ".cert_dir", entry["cert_dir"])
        if entry.get("max_retries") is not None:
            registry["maxRetries"] = _int({var + ".max_retries": entry["max_retries"]}, var + ".max_retries", minimum=0)
            registry["retryDelay"] = _duration({var + ".retry_delay": entry.get("retry_delay")}, var + ".retry_delay", "5m")
        registries.append(registry)
        if bool(entry.get("username")) != bool(entry.get("password")):
            _fail(var, "username and password must be given together")
        if entry.get("username"):
            for url in urls:
                credentials[urlparse(url).netloc] = {"username": entry["username"], "password": entry["password"]}
    extra_credentials = _dict(settings, "zot_sync_credentials")
    for host, creds in extra_credentials.items():
        if not isinstance(creds, dict) or set(creds) != {"username", "password"}:
            _fail("zot_sync_credentials.%s" % host, "must be a dict with exactly 'username' and 'password'")
        if not all(isinstance(creds[k], str) and creds[k] for k in ("username", "password")):
            _fail("zot_sync_credentials.%s" % host, "username and password must be non-empty strings")
        credentials[host] = dict(creds)
    if not registries:
        if credentials:
            _fail("zot_sync_credentials", "is set but no zot_sync_registries or zot_pull_through use it")
        return None, []
    sync = {"enable": True, "registries": registries}
    files = []
    if credentials:
        path = _abs_path("zot_sync_credentials_file",
                         _str(settings, "zot_sync_credentials_file", _join(config_dir, "sync-credentials.json")))
        sync["credentialsFile"] = path
        files.append({"path": path, "kind": "sync", "content": credentials})
    return sync, files


CVE_KEYS = ("update_interval", "db_repository", "java_db_repository", "vuln_severity_sources")
EVENT_SINK_KEYS = ("type", "address", "channel", "timeout", "headers", "credentials_file", "ca_cert_file",
                   "cert_file", "key_file")
EVENT_SINK_TYPES = ("http", "nats")
# An OCI repository reference without scheme or tag: host[:port]/path (what trivy pulls its DB from).
OCI_REPOSITORY = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+$")


def _duration_hours(value):
    """Hours in a Go duration string (already matched by DURATION)."""
    scale = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    seconds = sum(float(number) * scale[unit] for number, _frac, unit in
                  re.findall(r"([0-9]+(\.[0-9]+)?)(ns|us|\u00b5s|ms|s|m|h)", value))
    return seconds / 3600.0


def _search(settings):
    """extensions.search (and extensions.ui, which needs it): the web UI's and GraphQL's index."""
    ui = _bool(settings, "zot_ui_enabled", False)
    search = _get(settings, "zot_search_enabled")
    if search in (None, ""):
        search = ui  # null: on with the UI, which reads the registry through search
    else:
        search = _bool(settings, "zot_search_enabled")
    if ui and not search:
        _fail("zot_search_enabled", "is false but zot_ui_enabled is true: zot's UI needs the search extension "
              "(zot refuses to start: 'failed to enable ui, search extension must be enabled'); leave "
              "zot_search_enabled unset or set it to true")
    cve_on = _bool(settings, "zot_search_cve_enabled", False)
    cve = _dict(settings, "zot_search_cve")
    unknown = sorted(set(cve) - set(CVE_KEYS))
    if unknown:
        _fail("zot_search_cve", "unknown keys %s (allowed: %s)" % (", ".join(unknown), ", ".join(CVE_KEYS)))
    if cve and not cve_on:
        _fail("zot_search_cve", "is set but zot_search_cve_enabled is false: set zot_search_cve_enabled: true "
              "to scan images, or remove zot_search_cve")
    if cve_on and not search:
        _fail("zot_search_cve_enabled", "needs the search extension: set zot_search_enabled (or zot_ui_enabled) "
              "to true")
    out = {}
    if search:
        out["search"] = {"enable": True}
    if cve_on:
        if _dict(settings, "zot_storage_s3"):
            _fail("zot_search_cve_enabled", "cannot be used with zot_storage_s3: zot v2.1.20 scans images on "
                  "local storage only ('failed to enable cve scanning due to incompatibility with remote "
                  "storage')")
        scoped = dict(("zot_search_cve.%s" % k, v) for k, v in cve.items())
        interval = _duration(scoped, "zot_search_cve.update_interval", "24h")
        if _duration_hours(interval) < 2:
            _fail("zot_search_cve.update_interval", "must be at least 2h (zot raises shorter intervals to 2h), "
                  "got %r" % interval)
        trivy = {}
        for key, zot_key in (("db_repository", "dbRepository"), ("java_db_repository", "javaDBRepository")):
            value = _str(scoped, "zot_search_cve.%s" % key)
            if value:
                if not OCI_REPOSITORY.match(value):
                    _fail("zot_search_cve.%s" % key, "must be an OCI repository such as "
                          "zot.example.com/ghcr.io/aquasecurity/trivy-db (host[:port]/path, no scheme, no tag), "
                          "got %r" % value)
                trivy[zot_key] = value
        sources = cve.get("vuln_severity_sources")
        if sources is not None:
            if not isinstance(sources, (list, tuple)) or not sources or \
                    not all(isinstance(v, str) and v for v in sources):
                _fail("zot_search_cve.vuln_severity_sources", "must be a non-empty list of strings such as "
                      "[auto] or [nvd, redhat]")
            trivy["vulnSeveritySources"] = list(sources)
        out["search"]["cve"] = {"updateInterval": interval}
        if trivy:
            out["search"]["cve"]["trivy"] = trivy
    if ui:
        out["ui"] = {"enable": True}
    return out


def _trust(settings):
    cosign = _bool(settings, "zot_image_trust_cosign", False)
    notation = _bool(settings, "zot_image_trust_notation", False)
    if not (cosign or notation):
        return None
    return {"enable": True, "cosign": cosign, "notation": notation}


def _events(settings):
    sinks = _list(settings, "zot_events_sinks")
    if not sinks:
        return None
    out = []
    for index, sink in enumerate(sinks):
        var = "zot_events_sinks[%d]" % index
        if not isinstance(sink, dict):
            _fail(var, "must be a dict with 'type' (http or nats) and 'address'")
        unknown = sorted(set(sink) - set(EVENT_SINK_KEYS))
        if unknown:
            secret = [k for k in unknown if k in ("username", "password", "token")]
            _fail(var, "unknown keys %s (allowed: %s)%s" % (
                ", ".join(unknown), ", ".join(EVENT_SINK_KEYS),
                "; zot v2.1.20 reads sink usernames, passwords and tokens from config.json only, so the role "
                "takes none: give a NATS sink a credentials_file, put an HTTP sink behind a proxy that adds "
                "its credentials" if secret else ""))
        scoped = dict(("%s.%s" % (var, k), v) for k, v in sink.items())
        kind = sink.get("type")
        if kind not in EVENT_SINK_TYPES:
            _fail(var + ".type", "must be one of %s, got %r" % (", ".join(EVENT_SINK_TYPES), kind))
        address = _str(scoped, var + ".address")
        schemes = ("http", "https") if kind == "http" else ("nats", "tls")
        if urlparse(address).scheme not in schemes or not urlparse(address).netloc:
            _fail(var + ".address", "must be a %s URL, got %r" % (
                " or ".join("%s://" % s for s in schemes), address))
        entry = {"type": kind, "address": address}
        channel = _str(scoped, var + ".channel")
        if kind == "nats" and not channel:
            _fail(var + ".channel", "is required for a nats sink (the subject events are published on)")
        if channel:
            if kind != "nats":
                _fail(var + ".channel", "applies to nats sinks only")
            entry["channel"] = channel
        if sink.get("timeout") not in (None, ""):
            entry["timeout"] = _duration(scoped, var + ".timeout", "30s")
        headers = sink.get("headers")
        if headers:
            if kind != "http" or not isinstance(headers, dict) or \
                    not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
                _fail(var + ".headers", "must be a dict of header name to string value, on an http sink")
            secret = sorted(k for k in headers if k.lower() in ("authorization", "proxy-authorization"))
            if secret:
                _fail(var + ".headers", "must not carry %s: config.json holds no secrets" % ", ".join(secret))
            entry["headers"] = dict(headers)
        if sink.get("credentials_file"):
            if kind != "nats":
                _fail(var + ".credentials_file", "applies to nats sinks only (a NATS .creds file)")
            path = _str(scoped, var + ".credentials_file")
            if not path.startswith("/"):
                _fail(var + ".credentials_file", "must be an absolute path, got %r" % path)
            entry["credentials"] = {"file": path}
        tls = {}
        for key, zot_key in (("ca_cert_file", "caCertFile"), ("cert_file", "certFile"), ("key_file", "keyFile")):
            if sink.get(key):
                path = _str(scoped, "%s.%s" % (var, key))
                if not path.startswith("/"):
                    _fail("%s.%s" % (var, key), "must be an absolute path, got %r" % path)
                tls[zot_key] = path
        if bool(tls.get("certFile")) != bool(tls.get("keyFile")):
            _fail(var, "cert_file and key_file must be given together")
        if tls:
            entry["tlsConfig"] = tls
        out.append(entry)
    return {"enable": True, "sinks": out}


def _extensions(settings, config_dir):
    extensions = {}
    sync, files = _sync(settings, config_dir)
    if sync:
        extensions["sync"] = sync
    extensions.update(_search(settings))
    trust = _trust(settings)
    if trust:
        extensions["trust"] = trust
    events = _events(settings)
    if events:
        extensions["events"] = events
    if _bool(settings, "zot_metrics_enabled", False):
        path = _str(settings, "zot_metrics_path", "/metrics")
        if not path.startswith("/"):
            _fail("zot_metrics_path", "must start with '/', got %r" % path)
        extensions["metrics"] = {"enable": True, "prometheus": {"path": path}}
    if _bool(settings, "zot_scrub_enabled", False):
        extensions["scrub"] = {"enable": True, "interval": _duration(settings, "zot_scrub_interval", "24h")}
    return extensions, files


def zot_config(settings):
    """The zot config dict (no secrets inline) from the role's variables, by their variable names."""
    config, _files = _build(settings)
    return config


def zot_config_problems(settings):
    """[] when the role's variables build a config, else [the first problem]: a message naming the
    variable and what is allowed, never a secret value. Safe to show from a task without no_log, so
    the role checks here, before any write, what the no_log tasks that build the config and its
    credentials files would otherwise fail on with a censored message."""
    try:
        _build(settings)
    except AnsibleFilterError as err:
        return [str(err.message if hasattr(err, "message") else err)]
    return []


def zot_credential_files(settings, as_text=False):
    """[{path, kind, content}] for every credentials file the config refers to (content is secret);
    with as_text, content is the file's exact text (what the roles write and zot_config_check stages)."""
    _config, files = _build(settings)
    if as_text:
        files = [dict(f, content=credentials_text(f["content"])) for f in files]
    return files


def zot_credentials_text(content):
    """The exact text of a credentials file (what the server and oidc roles both write)."""
    if not isinstance(content, (dict, str)):
        raise AnsibleFilterError("zotops.zot.zot_credentials_text expects a dict (or the file's text), got %s"
                                 % type(content).__name__)
    return credentials_text(content)


def zot_file_specs(files, owner, group, mode="0600"):
    """[{path, content}] -> [{path, owner, group, mode, sha256}]: what zotops.zot.zot_install_state
    compares, without the content (which may be secret)."""
    specs = []
    for entry in files or []:
        if not isinstance(entry, dict) or "path" not in entry or not isinstance(entry.get("content"), str):
            raise AnsibleFilterError("zotops.zot.zot_file_specs expects a list of {path, content (str)}")
        specs.append({"path": entry["path"], "owner": owner, "group": group, "mode": mode,
                      "sha256": hashlib.sha256(entry["content"].encode("utf-8")).hexdigest()})
    return specs


def _build(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("zotops.zot.zot_config expects a dict of the role's variables")
    config_dir = _str(settings, "zot_config_dir", "/etc/zot")
    port = _int(settings, "zot_http_port", 5000, 1, 65535)
    http = {
        "address": _str(settings, "zot_http_address", "0.0.0.0"),
        "port": str(port),
    }
    external_url = _str(settings, "zot_http_external_url")
    if external_url:
        _http_url("zot_http_external_url", external_url, "https://zot.example.com")
        http["externalUrl"] = external_url.rstrip("/")
    realm = _str(settings, "zot_http_realm", "zot")
    if realm:
        http["realm"] = realm
    tls = _tls(settings)
    if tls:
        http["tls"] = tls
    ratelimit = _ratelimit(settings)
    if ratelimit:
        http["ratelimit"] = ratelimit
    auth, files = _auth(settings, config_dir)
    if _get(settings, "zot_openid_providers") and not external_url:
        _fail("zot_http_external_url", "is required with zot_openid_providers: the IdP redirects to "
              "<zot_http_external_url>/zot/auth/callback/<provider>")
    if auth:
        http["auth"] = auth
    access_control = _get(settings, "zot_access_control")
    if access_control:
        if not isinstance(access_control, dict):
            _fail("zot_access_control", "must be a dict in zot's accessControl format")
        http["accessControl"] = access_control
    log_level = _str(settings, "zot_log_level", "info")
    if log_level not in LOG_LEVELS:
        _fail("zot_log_level", "must be one of %s, got %r" % (", ".join(LOG_LEVELS), log_level))
    log = {"level": log_level}
    for var, key in (("zot_log_output", "output"), ("zot_log_audit", "audit")):
        if _str(settings, var):
            log[key] = _abs_path(var, _str(settings, var))
    storage, storage_files = _storage(settings)
    files.extend(storage_files)
    config = {"storage": storage, "http": http, "log": log}
    extensions, sync_files = _extensions(settings, config_dir)
    if extensions:
        config["extensions"] = extensions
    files.extend(sync_files)
    paths = [f["path"] for f in files]
    duplicates = sorted(set(p for p in paths if paths.count(p) > 1))
    if duplicates:
        _fail("credentials_file", "two credentials files share the path %s" % ", ".join(duplicates))
    return config, files


def _is_secret(key, value):
    if str(key).lower() in SECRET_KEYS and value not in (None, "", False):
        return True
    # A URL with a password in it (a Redis URL's userinfo).
    return isinstance(value, str) and "://" in value and bool(urlparse(value).password)


def _mask_value(value):
    if isinstance(value, str) and "://" in value and urlparse(value).password:
        parsed = urlparse(value)
        return value.replace(parsed.netloc, parsed.netloc.replace(":" + parsed.password + "@", ":" + MASK + "@", 1), 1)
    return MASK


def zot_config_secret_paths(config, _path=""):
    """Dotted paths of keys in a zot config that hold a secret value inline (should be empty)."""
    found = []
    if isinstance(config, dict):
        for key, value in config.items():
            path = "%s.%s" % (_path, key) if _path else str(key)
            if _is_secret(key, value):
                found.append(path)
            else:
                found.extend(zot_config_secret_paths(value, path))
    elif isinstance(config, (list, tuple)):
        for index, value in enumerate(config):
            found.extend(zot_config_secret_paths(value, "%s[%d]" % (_path, index)))
    return found


def _masked(config):
    if isinstance(config, dict):
        return dict((k, _mask_value(v) if _is_secret(k, v) else _masked(v)) for k, v in config.items())
    if isinstance(config, (list, tuple)):
        return [_masked(v) for v in config]
    return config


def zot_config_masked_diff(before, after, path="config.json"):
    """Unified diff lines between two zot configs (JSON text or dicts) with every secret value masked."""
    def text(config):
        if config in (None, ""):
            return []
        if isinstance(config, str):
            try:
                config = json.loads(config)
            except ValueError:
                return ["(not JSON: %d bytes, not shown)" % len(config)]
        return json.dumps(_masked(config), indent=2, sort_keys=True).splitlines()
    return list(difflib.unified_diff(text(before), text(after), "before: " + path, "after: " + path, lineterm=""))


def zot_release_checksum(checksums, name, source="checksums.sha256.txt"):
    """sha256 of one asset from a release checksums file (lines '<sha256>  <name>' or '<sha256> *<name>')."""
    for line in (checksums or "").splitlines():
        fields = line.strip().split(None, 1)
        if len(fields) != 2:
            continue
        digest, filename = fields
        # zot's release workflow rewrites the separator to ' *' (binary mode): strip any '*' markers.
        filename = filename.strip().lstrip("*").strip().lstrip("*").strip()
        if filename == name and re.match(r"^[0-9a-fA-F]{64}$", digest):
            return digest.lower()
    raise AnsibleFilterError("%s has no sha256 for %s: is zot_version right, and is this build published for "
                             "this OS/architecture (zot_variant)?" % (source, name))


# The role variables behind each extension a config turns on (to name them when the binary lacks it).
EXTENSION_VARIABLES = {
    "search": "zot_search_enabled / zot_search_cve_enabled",
    "ui": "zot_ui_enabled",
    "imagetrust": "zot_image_trust_cosign / zot_image_trust_notation",
    "events": "zot_events_sinks",
    "sync": "zot_pull_through / zot_sync_registries",
    "metrics": "zot_metrics_enabled",
    "scrub": "zot_scrub_enabled",
    "lint": "zot_config_extra (extensions.lint)",
}


def zot_binary_extensions(path):
    """{extensions: [build tags] or None, source: how they were read} of a zot binary on the controller,
    read from Go's build information without running it (any OS or architecture)."""
    if not isinstance(path, str) or not path:
        raise AnsibleFilterError("zotops.zot.zot_binary_extensions expects the path of a zot binary")
    found, source = binary_extensions(path)
    return {"extensions": found, "source": source}


def zot_extension_problems(config, available, binary="the zot binary"):
    """One message per extension ``config`` turns on that a binary with ``available`` extensions lacks,
    naming the role variable behind it; [] when ``available`` is None (not known)."""
    if available is None:
        return []
    problems = []
    for key, tag in config_extensions(config):
        if tag not in available:
            problems.append("%s (%s) needs zot's %s extension, but %s was built without it (it has: %s); use "
                            "the release's full build (zot_variant: full) or one built with the %s tag."
                            % (EXTENSION_VARIABLES.get(tag, "zot_config_extra"), key, tag, binary,
                               ", ".join(available) or "none", tag))
    return problems


class FilterModule(object):
    def filters(self):
        return {
            "zot_release_checksum": zot_release_checksum,
            "zot_config": zot_config,
            "zot_config_problems": zot_config_problems,
            "zot_credential_files": zot_credential_files,
            "zot_credentials_text": zot_credentials_text,
            "zot_file_specs": zot_file_specs,
            "zot_config_secret_paths": zot_config_secret_paths,
            "zot_config_masked_diff": zot_config_masked_diff,
            "zot_binary_extensions": zot_binary_extensions,
            "zot_extension_problems": zot_extension_problems,
        }
