# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each zot release understands, and which release a zot binary is.

Read from zot's source at each tag (pkg/api/config/config.go, pkg/extensions/config/config.go,
pkg/api/authz.go) and checked with `zot verify` of real builds of the oldest supported release
and of 2.1.20. A config key a release does not know makes its `zot serve` and `zot verify` refuse
the whole file ("'...' has invalid keys: ..."), so the role checks these before any change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

# The oldest release the role supports: the official Helm chart's appVersion (2026). Older 2.1
# releases are not tested.
OLDEST_SUPPORTED = '2.1.13'

# Each feature the role can emit that arrived inside the supported range:
# (feature id, first release that accepts it, what it is).
FEATURES = (
    ('openid_claim_mapping_groups', '2.1.14', 'the OpenID claimMapping.groups key (which claim holds the groups)'),
    ('latest_is_update', '2.1.15', "immutable tags: before it, zot checks a push over an existing 'latest' tag "
                                   "as create, so a tier without update could overwrite 'latest'"),
    ('trivy_vuln_severity_sources', '2.1.16', 'the search.cve.trivy.vulnSeveritySources key'),
    ('policy_conditions', '2.1.17', 'CEL conditions on access-control policies (immutable tag patterns)'),
    ('metrics_anonymous_policy', '2.1.18', 'accessControl.metrics.anonymousPolicy (anonymous metrics access)'),
)
FIRST_RELEASE = dict((feature, release) for feature, release, _what in FEATURES)
DESCRIPTION = dict((feature, what) for feature, _release, what in FEATURES)

# The commit each release tag points to (zot's repository): a build stamped with a bare commit
# (`-X ...Commit=<sha>`, as container images and hand builds do) still tells its release.
RELEASE_COMMITS = {
    '4ad3fad3bceb70c8ebd1669b0962c177353339b2': '2.1.13',
    'bf619c570e194beee8bb79aeb9d5f23b856c7204': '2.1.14',
    'ace12e2a12d0e104f6fb0aecf162b29e8c67b8a9': '2.1.15',
    'b47b643e05bab5c2d7fc0466d11ec5842a9d269c': '2.1.16',
    '08b26876daaeb5ebc138775f103586cb7aa475fd': '2.1.17',
    '7bb211bcd4352b90f3e99752607fbd1f050bf7ca': '2.1.18',
    '3521f81d92a43a2e57aecff991285bf8fc12a423': '2.1.19',
    '3b5796d834e8661ea661a5fcc47add8d4405aebf': '2.1.20',
}

VERSION = re.compile(r'^v?([0-9]+)\.([0-9]+)\.([0-9]+)(?:-([0-9A-Za-z.]+))?$')
# zot's Makefile stamps `git describe --always --tags --long` as the commit ("v2.1.20-0-g3b5796d"),
# its container build "<tag>-<sha>" ("v2.1.18-7bb211bc..."); a "-dirty" suffix marks local changes.
_STAMP = re.compile(r'^(v[0-9]+\.[0-9]+\.[0-9]+(?:-rc[0-9]+)?)(?:-([0-9]+)-g[0-9a-f]{4,40}|-([0-9a-f]{40}))?(-dirty)?$')
_SHA = re.compile(r'^([0-9a-f]{40})(-dirty)?$')
# The same stamp found among a binary's bytes (read without running it: a binary for another OS),
# looked for from its fixed middle ("-0-g", a tag's own commit) backwards.
_STAMP_BEFORE = re.compile(br'v([0-9]+\.[0-9]+\.[0-9]+(?:-rc[0-9]+)?)$')


def version_key(version):
    """A sortable key of '2.1.20' / 'v2.1.3-rc1' (a pre-release sorts before its release); None when it is
    no version."""
    match = VERSION.match(str(version or '').strip())
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or '')


def older_than(version, release):
    """True when ``version`` comes before ``release`` (both like 2.1.20)."""
    mine, theirs = version_key(version), version_key(release)
    return mine is not None and theirs is not None and mine < theirs


def version_from_commit(commit):
    """The release a `zot --version` commit stamp names ('2.1.20'), or None when it names none (a
    build after a tag, a dirty tree, an unknown bare commit, no stamp at all)."""
    commit = (commit or '').strip()
    match = _STAMP.match(commit)
    if match:
        tag, distance, _sha, dirty = match.groups()
        if dirty or (distance not in (None, '0')):
            return None
        return tag[1:]
    match = _SHA.match(commit)
    if match and not match.group(2):
        return RELEASE_COMMITS.get(match.group(1))
    return None


def version_from_output(output):
    """(version or None, commit stamp or None) from what `zot --version` prints (a JSON log line)."""
    for line in (output or '').splitlines():
        try:
            entry = json.loads(line.strip())
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get('message') == 'version':
            commit = entry.get('commit') or ''
            return version_from_commit(commit), commit
    return None, None


def version_from_bytes(path):
    """The release stamp zot's release build embeds ("v2.1.20-0-g3b5796d"), found among the binary's bytes
    without running it (a binary of another OS or architecture, on the controller), else the commit of a
    known release; None."""
    try:
        handle = open(path, 'rb')
    except (IOError, OSError):
        return None
    commits = [(sha.encode('ascii'), release) for sha, release in RELEASE_COMMITS.items()]
    found, tail = None, b''
    with handle:
        while True:
            chunk = handle.read(16 << 20)
            if not chunk:
                return found
            data = tail + chunk
            at = data.find(b'-0-g')
            while at >= 0:
                match = _STAMP_BEFORE.search(data[max(0, at - 24):at])
                if match and re.match(br'[0-9a-f]{7}', data[at + 4:at + 11]):
                    return match.group(1).decode('ascii')
                at = data.find(b'-0-g', at + 4)
            if found is None:
                found = next((release for sha, release in commits if sha in data), None)
            tail = data[-64:]


def binary_version(path, run_command=None):
    """{version, commit, source} of a zot binary: `zot --version` when it can be run here (its commit
    stamp), else Go's build information (the module version of a `go install` build), else the stamp
    among its bytes. version is None when none of them names a release."""
    commit = None
    if run_command is not None:
        try:
            _rc, out = run_command([path, '--version'])
        except Exception as error:  # noqa: BLE001 - an exec failure is reported, not raised
            out = str(error)
        version, commit = version_from_output(out)
        if version:
            return {'version': version, 'commit': commit, 'source': 'zot --version'}
    from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import go_build_settings
    module = (go_build_settings(path) or {}).get('(module)')
    if module and module != '(devel)' and version_key(module):
        return {'version': module.lstrip('v'), 'commit': commit, 'source': 'Go build information (module version)'}
    version = version_from_bytes(path)
    if version:
        return {'version': version, 'commit': commit, 'source': 'the release stamp in the binary'}
    return {'version': None, 'commit': commit,
            'source': 'no release stamp (a build from an untagged tree, or with no -ldflags)'}
