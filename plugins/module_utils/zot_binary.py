# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which extensions a zot binary was built with, and which ones a configuration needs.

Reads the binary (its ``zot --version`` line or the build settings Go records in it); runs nothing
else, so it also reads a binary of another OS or architecture.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import subprocess

# zot's extensions are Go build tags (its Makefile's EXTENSIONS); the release build has all of these.
RELEASE_EXTENSIONS = ('events', 'imagetrust', 'lint', 'metrics', 'mgmt', 'profile', 'scrub', 'search', 'sync',
                      'ui', 'userprefs')
KNOWN_TAGS = RELEASE_EXTENSIONS + ('debug',)
# config.json's extensions.<key> -> the build tag that implements it.
CONFIG_EXTENSION_TAGS = (('search', 'search'), ('ui', 'ui'), ('trust', 'imagetrust'), ('events', 'events'),
                         ('sync', 'sync'), ('metrics', 'metrics'), ('scrub', 'scrub'), ('lint', 'lint'))
_BUILDINFO_MAGIC = b'\xff Go buildinf:'
_MODINFO_START = bytes.fromhex('3077af0c9274080241e1c107e6d618e6')


def _uvarint(data, offset):
    value, shift = 0, 0
    while offset < len(data):
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7f) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    raise ValueError('truncated varint')


def go_build_settings(path):
    """The `build` settings Go records in a binary it built (what `go version -m` prints), e.g.
    {'-tags': 'search,sync,ui', 'GOOS': 'linux'}; None when the file is no Go 1.18+ binary. Reads
    only, so it works for a binary of another OS or architecture (a controller preparing a Mac)."""
    try:
        handle = open(path, 'rb')
    except (IOError, OSError):
        return None
    with handle:
        offset, tail = 0, b''
        while True:
            chunk = handle.read(1 << 20)
            if not chunk:
                return None
            data = tail + chunk
            found = data.find(_BUILDINFO_MAGIC)
            if found >= 0:
                handle.seek(offset - len(tail) + found)
                header = handle.read(32 + 65536)
                break
            offset += len(chunk)
            tail = data[-32:]
    if len(header) < 32 or not header[15] & 2:
        return None  # Go before 1.18 kept the strings elsewhere (pointers): not read here
    try:
        length, position = _uvarint(header, 32)
        position += length  # the Go version string
        length, position = _uvarint(header, position)
    except ValueError:
        return None
    modinfo = header[position:position + length]
    if modinfo.startswith(_MODINFO_START):
        modinfo = modinfo[16:-16]
    settings = {}
    for line in modinfo.decode('utf-8', 'replace').splitlines():
        fields = line.split('\t')
        if len(fields) >= 3 and fields[0] == 'mod':
            settings['(module)'] = fields[2]  # the main module's version: v2.1.20 from `go install`
        if len(fields) == 2 and fields[0] == 'build' and '=' in fields[1]:
            key, value = fields[1].split('=', 1)
            settings[key] = value.strip('"')
    return settings


def binary_type_extensions(output):
    """Extensions from `zot --version`'s log line ("binary-type": "-events-imagetrust-..."), or None
    when it names none (a build without zot's Makefile's -ldflags, such as `go install`)."""
    for line in (output or '').splitlines():
        try:
            entry = json.loads(line.strip())
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get('binary-type'):
            kind = entry['binary-type']
            if kind == 'minimal':
                return []
            return sorted(tag for tag in kind.split('-') if tag)
    return None


def binary_extensions(path, run_command=None):
    """(sorted extension list, how it was read) for a zot binary, or (None, why not).

    `zot --version` prints them when zot's Makefile built the binary (its binary-type); a build
    without that (`go install`) still records its -tags in Go's build information."""
    if run_command is not None:
        try:
            _rc, out = run_command([path, '--version'])
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            out = str(error)
        found = binary_type_extensions(out)
        if found is not None:
            return found, 'zot --version'
    settings = go_build_settings(path)
    if settings is None:
        return None, '%s is not a Go binary whose build information can be read' % path
    tags = [tag for tag in settings.get('-tags', '').replace(' ', ',').split(',') if tag]
    return sorted(set(tags)), 'Go build information (-tags)'


def config_extensions(config):
    """[(config key, build tag)] of the extensions a zot config turns on ("enable": false is off;
    sync is on with registries even without "enable", as zot reads it)."""
    extensions = (config or {}).get('extensions') or {}
    needed = []
    for key, tag in CONFIG_EXTENSION_TAGS:
        entry = extensions.get(key)
        if entry is None:
            continue
        if isinstance(entry, dict) and entry.get('enable') is False:
            continue
        needed.append(('extensions.%s' % key, tag))
    return needed


def missing_extensions(config, available):
    """[(config key, build tag)] the config turns on and a binary with ``available`` lacks."""
    return [(key, tag) for key, tag in config_extensions(config) if tag not in (available or [])]
