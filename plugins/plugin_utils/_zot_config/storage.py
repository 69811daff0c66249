# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zot's storage section: local or S3 storage, the Redis or DynamoDB cache and metadata store,
and the session store."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import quote, urlparse

from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.defaults import item_default, session_store
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.values import (
    _abs_path, _bool, _dict, _duration, _fail, _http_url, _join, _only_keys, _parse_url, _safe_url, _str)

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
    _only_keys("zot_storage_s3", s3, S3_KEYS)
    for key in ("bucket", "region"):
        if not isinstance(s3.get(key), str) or not s3[key]:
            _fail("zot_storage_s3.%s" % key, "is required (a non-empty string)")
    driver = {
        "name": "s3",
        "bucket": s3["bucket"],
        "region": s3["region"],
        "rootdirectory": "/" + str(s3.get("root_directory") or item_default("root_directory")).strip("/"),
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
    _only_keys("zot_redis", redis, REDIS_KEYS)
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
    return {"name": "redis", "url": url, "keyprefix": str(redis.get("key_prefix") or item_default("key_prefix"))}


def _dynamodb(settings):
    """DynamoDB as zot's cache and metadata store (the alternative to Redis on AWS)."""
    dynamodb = _dict(settings, "zot_dynamodb")
    if not dynamodb:
        return None
    _only_keys("zot_dynamodb", dynamodb, DYNAMODB_KEYS)
    if not isinstance(dynamodb.get("region"), str) or not dynamodb["region"]:
        _fail("zot_dynamodb.region", "is required (a non-empty string)")
    if _dict(settings, "zot_redis"):
        _fail("zot_dynamodb", "and zot_redis are both set: zot has one cache and metadata store, choose one")
    driver = {"name": "dynamodb", "region": dynamodb["region"]}
    endpoint = dynamodb.get("endpoint") or ""
    if endpoint:
        _http_url("zot_dynamodb.endpoint", endpoint, "http://127.0.0.1:8000")
        driver["endpoint"] = endpoint.rstrip("/")
    prefix = str(dynamodb.get("table_prefix") or item_default("table_prefix"))
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
    store = session_store(_str(settings, "zot_session_store"), _dict(settings, "zot_redis"))
    if store not in SESSION_STORES:
        _fail("zot_session_store", "must be one of %s, got %r" % (", ".join(SESSION_STORES), store))
    if store == "local":
        return None
    redis = _redis(settings)
    if not redis:
        _fail("zot_session_store", "is redis but zot_redis is not set (the Redis the sessions go to)")
    redis["keyprefix"] = redis["keyprefix"] + "session"
    return redis
