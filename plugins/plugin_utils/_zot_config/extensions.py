# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zot's extensions section (sync, search and CVE, UI, trust, events, metrics, scrub), and the
role variables to name when a binary lacks one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import urlparse

from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import config_extensions
from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.values import (
    _abs_path, _bool, _dict, _duration, _fail, _get, _http_url, _int, _join, _list, _only_keys, _str)


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
    _only_keys("zot_search_cve", cve, CVE_KEYS)
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


def extension_problems(config, available, binary="the zot binary"):
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
