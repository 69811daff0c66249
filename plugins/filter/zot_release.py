# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zot_version against what the role emits: which zot release accepts each key and feature
(plugins/module_utils/zot_releases.py), and which release a zot binary is."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.module_utils.zot_releases import (
    DESCRIPTION, FIRST_RELEASE, OLDEST_SUPPORTED, binary_version, older_than, version_key)


def _lacks(version, feature):
    return older_than(version, FIRST_RELEASE[feature])


def _needs(version, feature, where):
    return ("%s: %s needs zot %s or newer, but zot_version is %s. Set zot_version to %s or newer, or leave "
            "this out." % (where, DESCRIPTION[feature], FIRST_RELEASE[feature], version, FIRST_RELEASE[feature]))


def _policies(access_control):
    """(glob, index, policy) of every repository policy in zot's accessControl."""
    repositories = (access_control or {}).get("repositories") or {}
    for glob in sorted(repositories):
        for index, policy in enumerate((repositories[glob] or {}).get("policies") or []):
            yield glob, index, policy or {}


def zot_release_problems(config, version, access=None):
    """One message per key or feature in the zot ``config`` (what the role would write) that zot
    ``version`` does not accept, naming the role variable behind it and the release it needs; [] when
    the release takes all of it. ``access`` is the zot_access declaration, when one was given (its
    tier names are more helpful than the compiled globs)."""
    if not isinstance(config, dict):
        raise AnsibleFilterError("zotops.zot.zot_release_problems expects the zot configuration (a dict)")
    version = str(version)
    if version_key(version) is None:
        return []  # the role's input check names a malformed zot_version
    if older_than(version, OLDEST_SUPPORTED):
        return ["zot_version=%s: the oldest zot release this role supports is %s (the tests run it and 2.1.20); "
                "set zot_version to %s or newer." % (version, OLDEST_SUPPORTED, OLDEST_SUPPORTED)]
    problems = []
    http = config.get("http") or {}
    providers = (((http.get("auth") or {}).get("openid") or {}).get("providers") or {})
    if _lacks(version, "openid_claim_mapping_groups"):
        for name in sorted(providers):
            if "groups" in ((providers[name] or {}).get("claimMapping") or {}):
                problems.append(_needs(version, "openid_claim_mapping_groups",
                                       "zot_openid_providers.%s.claim_mapping.groups" % name))
    trivy = ((((config.get("extensions") or {}).get("search") or {}).get("cve") or {}).get("trivy") or {})
    if "vulnSeveritySources" in trivy and _lacks(version, "trivy_vuln_severity_sources"):
        problems.append(_needs(version, "trivy_vuln_severity_sources", "zot_search_cve.vuln_severity_sources"))
    access_control = http.get("accessControl") or {}
    tiers = (access or {}).get("tiers") or {} if isinstance(access, dict) else {}
    if tiers:
        for name in sorted(tiers):
            immutable = (tiers[name] or {}).get("immutable_tags")
            if immutable in (None, False):
                continue
            where = "zot_access.tiers.%s.immutable_tags" % name
            if isinstance(immutable, str) and _lacks(version, "policy_conditions"):
                problems.append(_needs(version, "policy_conditions", where))
            elif _lacks(version, "latest_is_update"):
                problems.append(_needs(version, "latest_is_update", where))
    elif _lacks(version, "policy_conditions"):
        for glob, index, policy in _policies(access_control):
            if policy.get("conditions"):
                problems.append(_needs(version, "policy_conditions",
                                       "zot_access_control.repositories['%s'].policies[%d].conditions" % (glob, index)))
    if (access_control.get("metrics") or {}).get("anonymousPolicy") and _lacks(version, "metrics_anonymous_policy"):
        where = "zot_access.metrics.anonymous" if access else "zot_access_control.metrics.anonymousPolicy"
        problems.append(_needs(version, "metrics_anonymous_policy", where))
    return problems


def zot_config_for_release(config, version):
    """``config`` as zot ``version`` reads it: keys that arrived later are left out where they carry
    nothing (an empty metrics.anonymousPolicy the access_control filter writes for clarity). Keys that do
    carry something stay, for zot_release_problems to name."""
    if not isinstance(config, dict):
        raise AnsibleFilterError("zotops.zot.zot_config_for_release expects the zot configuration (a dict)")
    metrics = ((config.get("http") or {}).get("accessControl") or {}).get("metrics")
    if not isinstance(metrics, dict) or "anonymousPolicy" not in metrics or metrics["anonymousPolicy"] \
            or not _lacks(str(version), "metrics_anonymous_policy"):
        return config
    adapted = copy.deepcopy(config)
    del adapted["http"]["accessControl"]["metrics"]["anonymousPolicy"]
    return adapted


def zot_binary_version(path):
    """{version, commit, source}: the zot release a binary on the controller is ('2.1.20'; None when it
    carries no release stamp), read without running it (so a binary for another OS or architecture works
    too): the module version a `go install` build records, else the release stamp among its bytes."""
    if not isinstance(path, str) or not path:
        raise AnsibleFilterError("zotops.zot.zot_binary_version expects the path of a zot binary")
    return binary_version(path)


class FilterModule(object):
    def filters(self):
        return {
            "zot_release_problems": zot_release_problems,
            "zot_config_for_release": zot_config_for_release,
            "zot_binary_version": zot_binary_version,
        }
