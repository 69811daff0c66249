# -*- coding: utf-8 -*-
# Copyright (c) zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""present/absent for one authentik object, written once for the authentik_* modules: create what is
missing, patch only the fields that differ, delete what should be gone; a diff of what changes and a
check-mode prediction of the object the real run returns."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.zotops.zot.plugins.module_utils.authentik import changed_fields


def item_path(collection, existing):
    """The API path of one object of ``collection`` (its pk, quoted: some are UUIDs, some numbers)."""
    return '%s%s/' % (collection, quote(str(existing['pk']), safe=''))


def fields_view(obj, keys):
    """The diff's view of ``obj``: the fields themselves."""
    return dict((k, obj.get(k)) for k in keys)


def ensure_absent(module, client, collection, existing, before, result, path=None):
    """Delete ``existing`` (at ``path``, by default its pk's path in ``collection``) when there is one;
    ``before`` is what the diff shows of it."""
    if not existing:
        return
    result['changed'] = True
    result['diff'] = dict(before=before, after={})
    if not module.check_mode:
        client.delete(path or item_path(collection, existing))


def ensure_present(module, client, collection, existing, want, result, path=None, view=fields_view,
                   view_after=None):
    """Create ``want`` in ``collection`` when ``existing`` is None, else patch the fields of ``want``
    that differ (at ``path``, by default ``existing``'s pk path). ``view(obj, keys)`` is what the diff
    shows (``view_after`` for the after side, when it differs). Returns the object as the API
    returns it, or as it would be in check mode."""
    view_after = view_after or view
    if existing is None:
        result['changed'] = True
        result['diff'] = dict(before={}, after=view_after(want, sorted(want)))
        if module.check_mode:
            return dict(want, pk=None)
        return client.post(collection, want)
    changes = changed_fields(existing, want)
    if not changes:
        return existing
    keys = sorted(changes)
    result['changed'] = True
    result['diff'] = dict(before=view(existing, keys), after=view_after(dict(existing, **changes), keys))
    if module.check_mode:
        return dict(existing, **changes)
    return client.patch(path or item_path(collection, existing), changes)
