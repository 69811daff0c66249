# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build zot's config.json as data from the zotops.zot.server role's variables.

Every secret goes to a credentials file (LDAP bind, OpenID client, session keys, sync upstreams, S3
keys), so the config itself holds none and its diff can be shown as it is. The one exception is a
Redis password (zot v2.1.20 reads it from config.json only): the role then masks the config's diff
(zot_config_masked_diff) and hides the config from task output.

The filters here are thin wrappers: the build is in ``plugin_utils/_zot_config/`` (one file per
config section, ``build.py`` puts them together), secret masking in ``_zot_config/masking.py``,
release checksums in ``plugin_utils/_release_checksums.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.errors import AnsibleFilterError

# Each filter imports what it uses: to find one filter, Ansible loads every filter file of the collection,
# in every task's worker process, and compiles the collection's other Python from source each time, so a
# module-level import here would cost every task that uses any of the collection's filters.


def zot_config(settings):
    """The zot config dict (no secrets inline) from the role's variables, by their variable names."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.build import build_config
    config, _files = build_config(settings)
    return config


def zot_config_problems(settings):
    """[] when the role's variables build a config, else [the first problem]: a message naming the
    variable and what is allowed, never a secret value. Safe to show from a task without no_log, so
    the role checks here, before any write, what the no_log tasks that build the config and its
    credentials files would otherwise fail on with a censored message."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.build import build_config
    try:
        build_config(settings)
    except AnsibleFilterError as err:
        return [str(err.message if hasattr(err, "message") else err)]
    return []


def zot_credential_files(settings, as_text=False):
    """[{path, kind, content}] for every credentials file the config refers to (content is secret);
    with as_text, content is the file's exact text (what the roles write and zot_config_check stages)."""
    from ansible_collections.zotops.zot.plugins.module_utils.zot_credentials import credentials_text
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.build import build_config
    _config, files = build_config(settings)
    if as_text:
        files = [dict(f, content=credentials_text(f["content"])) for f in files]
    return files


def zot_credentials_text(content):
    """The exact text of a credentials file (what the server and oidc roles both write)."""
    from ansible_collections.zotops.zot.plugins.module_utils.zot_credentials import credentials_text
    if not isinstance(content, (dict, str)):
        raise AnsibleFilterError("zotops.zot.zot_credentials_text expects a dict (or the file's text), got %s"
                                 % type(content).__name__)
    return credentials_text(content)


def zot_file_specs(files, owner, group, mode="0600"):
    """[{path, content}] -> [{path, owner, group, mode, sha256}]: what zotops.zot.zot_install_state
    compares, without the content (which may be secret)."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._install_plan import file_specs
    files = files or []
    for entry in files:
        if not isinstance(entry, dict) or "path" not in entry or not isinstance(entry.get("content"), str):
            raise AnsibleFilterError("zotops.zot.zot_file_specs expects a list of {path, content (str)}")
    return file_specs(files, owner, group, mode)


def zot_binary_specs(platforms, install_dir, version, variant="full", owner="root", group="root", link=None,
                     sha256="", checksums=""):
    """{files, links, binaries}: what zotops.zot.zot_install_state compares for the release binary of each Go platform
    in ``platforms`` (``linux-amd64``): the binary at ``install_dir/zot-v<version>-<platform>[-minimal]``,
    its SHA-256 record beside it and ``link`` pointing at it. With more than one platform each entry names
    its own, so the module keeps the host's. The SHA-256 is ``sha256`` (the same for every platform: a
    given checksum or local file) or the release's (``checksums``, the text of its checksums file);
    unknown (no checksums cached yet, or none for that platform), the content is not compared. ``binaries``:
    each platform's binary path."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._release_checksums import release_checksums
    if isinstance(platforms, str) or not isinstance(platforms, (list, tuple)) or not platforms:
        raise AnsibleFilterError("zotops.zot.zot_binary_specs expects a list of Go platforms such as ['linux-amd64']")
    suffix = "-minimal" if variant == "minimal" else ""
    released = {} if sha256 else release_checksums(checksums)
    specs = {"files": [], "links": [], "binaries": {}}
    for platform in platforms:
        path = "%s/zot-v%s-%s%s" % (str(install_dir).rstrip("/"), version, platform, suffix)
        specs["binaries"][platform] = path
        digest = sha256 or released.get("zot-%s%s" % (platform, suffix), "")
        only = {"platform": platform} if len(platforms) > 1 else {}
        binary = dict(only, path=path, owner=owner, group=group, mode="0755")
        if digest:
            stamp = path + ".sha256"
            binary.update(sha256=digest, stamp=stamp)
            specs["files"].append(binary)
            # The record install.yml writes after the binary, in sha256sum's format.
            record = "%s  %s\n" % (digest, path.rsplit("/", 1)[-1])
            specs["files"].append(dict(only, path=stamp, owner=owner, group=group, mode="0644",
                                       sha256=hashlib.sha256(record.encode("utf-8")).hexdigest()))
        else:
            specs["files"].append(binary)
        if link:
            specs["links"].append(dict(only, path=link, target=path))
    return specs


def zot_config_secret_paths(config):
    """Dotted paths of keys in a zot config that hold a secret value inline (should be empty)."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.masking import secret_paths
    return secret_paths(config)


def zot_config_masked_diff(before, after, path="config.json"):
    """Unified diff lines between two zot configs (JSON text or dicts) with every secret value masked."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.masking import masked_diff
    return masked_diff(before, after, path)


def zot_release_checksum(checksums, name, source="checksums.sha256.txt"):
    """sha256 of one asset from a release checksums file (lines '<sha256>  <name>' or '<sha256> *<name>')."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._release_checksums import release_checksum
    return release_checksum(checksums, name, source)


def zot_binary_extensions(path):
    """{extensions: [build tags] or None, source: how they were read} of a zot binary on the controller,
    read from Go's build information without running it (any OS or architecture)."""
    from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_extensions
    if not isinstance(path, str) or not path:
        raise AnsibleFilterError("zotops.zot.zot_binary_extensions expects the path of a zot binary")
    found, source = binary_extensions(path)
    return {"extensions": found, "source": source}


def zot_extension_problems(config, available, binary="the zot binary"):
    """One message per extension ``config`` turns on that a binary with ``available`` extensions lacks,
    naming the role variable behind it; [] when ``available`` is None (not known)."""
    from ansible_collections.zotops.zot.plugins.plugin_utils._zot_config.extensions import extension_problems
    return extension_problems(config, available, binary)


class FilterModule(object):
    def filters(self):
        return {
            "zot_release_checksum": zot_release_checksum,
            "zot_config": zot_config,
            "zot_config_problems": zot_config_problems,
            "zot_credential_files": zot_credential_files,
            "zot_credentials_text": zot_credentials_text,
            "zot_file_specs": zot_file_specs,
            "zot_binary_specs": zot_binary_specs,
            "zot_config_secret_paths": zot_config_secret_paths,
            "zot_config_masked_diff": zot_config_masked_diff,
            "zot_binary_extensions": zot_binary_extensions,
            "zot_extension_problems": zot_extension_problems,
        }
