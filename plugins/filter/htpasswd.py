# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that build a bcrypt htpasswd file for zot without rehashing unchanged passwords."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes, to_text

try:
    import bcrypt

    HAS_BCRYPT = True
except ImportError:  # pragma: no cover - depends on the controller
    HAS_BCRYPT = False

BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
# bcrypt only reads the first 72 bytes of a password; longer ones would silently be truncated.
BCRYPT_MAX_BYTES = 72


def _require_bcrypt():
    if not HAS_BCRYPT:
        raise AnsibleFilterError(
            "zotops.zot.htpasswd needs the Python library 'bcrypt' on the Ansible controller "
            "(pip install bcrypt); zot only accepts bcrypt hashes in htpasswd files")


def parse_htpasswd(content):
    """Ordered list of (user, hash) from htpasswd text; blank lines and comments are skipped."""
    entries = []
    for line in to_text(content or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        user, _sep, hashed = line.partition(":")
        entries.append((user, hashed))
    return entries


def _normalize_users(users, var_name):
    """Accept a list of {name, password | password_hash, state} or a dict name -> password."""
    if users is None:
        return []
    if isinstance(users, dict):
        users = [{"name": name, "password": password} for name, password in users.items()]
    if not isinstance(users, (list, tuple)):
        raise AnsibleFilterError("%s must be a list of {name, password} entries, got %s"
                                 % (var_name, type(users).__name__))
    normalized = []
    seen = set()
    for index, entry in enumerate(users):
        where = "%s[%d]" % (var_name, index)
        if not isinstance(entry, dict):
            raise AnsibleFilterError("%s must be a dict with 'name' and 'password', got %s"
                                     % (where, type(entry).__name__))
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise AnsibleFilterError("%s.name must be a non-empty string" % where)
        if ":" in name or any(c.isspace() for c in name):
            raise AnsibleFilterError("%s.name %r may not contain ':' or whitespace (htpasswd separates the "
                                     "name from the hash with ':')" % (where, name))
        if name in seen:
            raise AnsibleFilterError("%s.name %r is declared more than once: give each user once" % (where, name))
        seen.add(name)
        state = entry.get("state", "present")
        if state not in ("present", "absent"):
            raise AnsibleFilterError("%s.state must be 'present' or 'absent', got %r" % (where, state))
        password = entry.get("password")
        password_hash = entry.get("password_hash")
        if state == "present":
            if password is None and password_hash is None:
                raise AnsibleFilterError("%s (user %r) needs 'password' or 'password_hash'" % (where, name))
            if password is not None and password_hash is not None:
                raise AnsibleFilterError("%s (user %r): give 'password' or 'password_hash', not both"
                                         % (where, name))
            if password is not None:
                if not isinstance(password, str) or password == "":
                    raise AnsibleFilterError("%s.password (user %r) must be a non-empty string of at most %d bytes "
                                             "(or give password_hash, a bcrypt hash)" % (where, name, BCRYPT_MAX_BYTES))
                if len(to_bytes(password)) > BCRYPT_MAX_BYTES:
                    raise AnsibleFilterError("%s.password (user %r) is longer than bcrypt's %d bytes"
                                             % (where, name, BCRYPT_MAX_BYTES))
            if password_hash is not None and (not isinstance(password_hash, str)
                                              or not password_hash.startswith(BCRYPT_PREFIXES)):
                raise AnsibleFilterError("%s.password_hash (user %r) must be a bcrypt hash ($2a$/$2b$/$2y$); "
                                         "zot accepts no other htpasswd format" % (where, name))
        normalized.append({"name": name, "state": state, "password": password, "password_hash": password_hash})
    return normalized


def _matches(password, hashed):
    """True when the clear-text password verifies against the stored bcrypt hash."""
    if not hashed or not hashed.startswith(BCRYPT_PREFIXES):
        return False
    try:
        return bcrypt.checkpw(to_bytes(password), to_bytes(hashed))
    except ValueError:
        return False


def _rounds(rounds, rounds_var):
    if isinstance(rounds, bool):
        rounds = None
    try:
        rounds = int(rounds)
    except (TypeError, ValueError):
        raise AnsibleFilterError("%s must be an integer between 4 and 31 (bcrypt's cost; 12 is usual), got %r"
                                 % (rounds_var, rounds))
    if not 4 <= rounds <= 31:
        raise AnsibleFilterError("%s must be between 4 and 31 (bcrypt's cost; 12 is usual), got %d"
                                 % (rounds_var, rounds))
    return rounds


def _plan(existing, users, rounds, exclusive, var_name, hash_new, rounds_var="zot_htpasswd_bcrypt_rounds"):
    _require_bcrypt()
    rounds = _rounds(rounds, rounds_var)
    current = parse_htpasswd(existing)
    current_map = dict(current)
    declared = _normalize_users(users, var_name)
    declared_names = set(u["name"] for u in declared)
    changes = {"added": [], "updated": [], "removed": [], "unchanged": []}
    lines = []
    # Users the file has but the declaration does not name: kept as they are unless exclusive.
    for name, hashed in current:
        if name in declared_names:
            continue
        if exclusive:
            changes["removed"].append(name)
        else:
            lines.append((name, hashed))
    for user in declared:
        name = user["name"]
        old = current_map.get(name)
        if user["state"] == "absent":
            if old is not None:
                changes["removed"].append(name)
            continue
        if user["password_hash"] is not None:
            new = user["password_hash"]
        elif _matches(user["password"], old):
            new = old
        elif hash_new:
            new = to_text(bcrypt.hashpw(to_bytes(user["password"]), bcrypt.gensalt(rounds=rounds)))
        else:
            new = None  # only the change summary is wanted: no need to spend time hashing
        if old is None:
            changes["added"].append(name)
        elif new == old:
            changes["unchanged"].append(name)
        else:
            changes["updated"].append(name)
        lines.append((name, new))
    return lines, changes


def htpasswd_problems(users, rounds=12, var_name="zot_htpasswd_users", rounds_var="zot_htpasswd_bcrypt_rounds"):
    """[] when the declared users and rounds are valid, else [the first problem]: names the variable,
    the entry (by index and user name) and what is allowed, never a password or hash. Safe to show
    from a task without no_log (the role checks here before any write)."""
    try:
        _require_bcrypt()
        _rounds(rounds, rounds_var)
        _normalize_users(users, var_name)
    except AnsibleFilterError as err:
        return [str(err.message if hasattr(err, "message") else err)]
    return []


def htpasswd(existing, users, rounds=12, exclusive=True, var_name="zot_htpasswd_users"):
    """New htpasswd file content: kept hashes for passwords that still verify, new bcrypt hashes otherwise.

    existing: the current file's text ('' when there is none); users: list of {name, password}
    (or password_hash, state). With exclusive=True, users not declared are removed.
    """
    lines, _changes = _plan(existing, users, rounds, exclusive, var_name, hash_new=True)
    if not lines:
        return ""
    return "".join("%s:%s\n" % (name, hashed) for name, hashed in lines)


def htpasswd_changes(existing, users, exclusive=True, var_name="zot_htpasswd_users", new=None):
    """Which users a new htpasswd file would add, update, remove or leave alone (names only, no hashes).

    With ``new`` (the new file's text, from htpasswd()), the two files are compared and ``users`` is not
    read: no password is checked against bcrypt again."""
    if new is not None:
        return _file_changes(existing, new)
    _lines, changes = _plan(existing, users, 4, exclusive, var_name, hash_new=False)
    return changes


def _file_changes(existing, new):
    before, after = parse_htpasswd(existing), parse_htpasswd(new)
    old, kept = dict(before), dict(after)
    changes = {"added": [], "updated": [], "removed": [name for name, _hashed in before if name not in kept],
               "unchanged": []}
    for name, hashed in after:
        key = "added" if name not in old else ("unchanged" if old[name] == hashed else "updated")
        changes[key].append(name)
    return changes


class FilterModule(object):
    def filters(self):
        return {
            "htpasswd": htpasswd,
            "htpasswd_changes": htpasswd_changes,
            "htpasswd_problems": htpasswd_problems,
        }
