# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a zotops.zot.server run changes on a host: the read's arguments from what the host should have, and
the decision from what zot_install_state read (the zot_install_plan action's logic, without Ansible)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

# The credentials files and the htpasswd file hold secrets: only the service user reads them.
SECRET_FILE_MODE = "0600"


def file_specs(files, owner, group, mode=SECRET_FILE_MODE):
    """[{path, content}] -> [{path, owner, group, mode, sha256}]: what zot_install_state compares, without the
    content (which may be secret). The zotops.zot.zot_file_specs filter's work."""
    return [{"path": entry["path"], "owner": owner, "group": group, "mode": mode,
             "sha256": hashlib.sha256(entry["content"].encode("utf-8")).hexdigest()} for entry in files]


def read_args(wanted, user, group, directories, gather_facts):
    """zot_install_state's arguments: ``wanted``'s files and links, plus the credentials files (compared by
    the SHA-256 of their content) and the htpasswd file (owner and mode; its text is read)."""
    files = list(wanted.get("files") or []) + file_specs(wanted.get("credentials") or [], user, group)
    read = list(wanted.get("read") or [])
    htpasswd = wanted.get("htpasswd")
    if htpasswd:
        files.append({"path": htpasswd["path"], "owner": user, "group": group, "mode": SECRET_FILE_MODE})
        read.append(htpasswd["path"])
    args = {"gather_facts": bool(gather_facts), "user": user, "group": group, "directories": directories or [],
            "files": files, "links": list(wanted.get("links") or []), "read": read}
    if wanted.get("systemd_unit"):
        args["systemd_unit"] = wanted["systemd_unit"]
    return args


def decide(wanted, state, platform, new_htpasswd):
    """What this run writes, from the read (``state``: zot_install_state's result) of a host of ``platform``
    (Go's name, ``linux-amd64``).

    new_htpasswd(existing_text, htpasswd) -> the new file's text (the htpasswd filter: bcrypt, keeping a hash
    whose password still verifies), called only when ``wanted`` has an htpasswd file."""
    differs = set(state.get("files") or [])
    content = state.get("content") or {}
    # A platform the role does not install on has no binary here: it counts as needed, and the role refuses
    # the host (its platform check) before any change.
    binary = (wanted.get("binaries") or {}).get(platform)
    # The SHA-256 the read compared the installed binary with: none while the release's checksums file is not
    # cached on the controller (then the binary is downloaded and checked against it there).
    expected = next((entry.get("sha256") or "" for entry in wanted.get("files") or []
                     if binary is not None and entry.get("path") == binary), "")
    htpasswd = wanted.get("htpasswd")
    htpasswd_content = new_htpasswd(content.get(htpasswd["path"], ""), htpasswd) if htpasswd else ""
    decided = {
        "expected_sha256": expected,
        "binary_needed": binary is None or expected == "" or binary in differs,
        "credentials_pending": [entry for entry in wanted.get("credentials") or [] if entry["path"] in differs],
        "htpasswd_content": htpasswd_content,
        "htpasswd_pending": bool(htpasswd) and (htpasswd["path"] in differs
                                                or htpasswd_content != content.get(htpasswd["path"], "")),
        "unwritable": list(wanted.get("unwritable") or []),
    }
    # Whether any file, directory or link is written (the service and the account are the role's to judge).
    decided["differs"] = bool(decided["binary_needed"] or decided["credentials_pending"] or decided["htpasswd_pending"]
                              or state.get("directories") or differs or state.get("links"))
    return decided
