# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""zotops.zot.zot_install_plan: one zot_install_state read of the host, and what the run changes decided on
the controller, in one task (the server role's read and decision were three: a task costs a worker process,
its templating and the collection's filters loaded again, per host)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.zotops.zot.plugins.module_utils.host_facts import go_platform
from ansible_collections.zotops.zot.plugins.plugin_utils._install_plan import decide, read_args

_ENTRY = dict(type="list", elements="dict", default=[])
ARGUMENT_SPEC = dict(
    gather_facts=dict(type="bool", default=False),
    user=dict(type="str", required=True),
    group=dict(type="str", required=True),
    directories=dict(_ENTRY),
    wanted=dict(type="dict", required=True, options=dict(
        files=dict(_ENTRY),
        links=dict(_ENTRY),
        read=dict(type="list", elements="path", default=[]),
        systemd_unit=dict(type="str"),
        binaries=dict(type="dict", required=True),
        credentials=dict(_ENTRY, no_log=True),
        htpasswd=dict(type="dict", options=dict(
            path=dict(type="path", required=True),
            users=dict(type="raw", required=True, no_log=True),
            rounds=dict(type="int", default=12),
            exclusive=dict(type="bool", default=True))),
        unwritable=dict(_ENTRY),
    )),
)
# What zot_install_state returns that is not the host's state.
_NOT_STATE = ("ansible_facts", "invocation", "changed", "failed", "msg")


def _new_htpasswd(existing, spec):
    # The htpasswd filter's function (bcrypt lives on the controller); imported here, on a host that has one.
    from ansible_collections.zotops.zot.plugins.filter.htpasswd import htpasswd
    return htpasswd(existing, spec["users"], rounds=spec["rounds"], exclusive=spec["exclusive"])


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        wanted = args["wanted"]
        read = self._execute_module(
            module_name="zotops.zot.zot_install_state", task_vars=task_vars,
            module_args=read_args(wanted, args["user"], args["group"], args["directories"], args["gather_facts"]))
        if read.get("failed"):
            # The read's own message, in the registered result (the role's task is no_log: it was given digests
            # of the secret files; everything the read could be refused for was checked before, in preflight).
            result.update(failed=True, msg="zot_install_state: %s" % read.get("msg", "failed"))
            return result
        state = dict((key, value) for key, value in read.items() if key not in _NOT_STATE and not key.startswith("_"))
        # The host's platform: from this read when the play gathered no facts, else the play's facts.
        facts = read.get("ansible_facts") or task_vars.get("ansible_facts") or {}
        platform = go_platform(facts["system"], facts["architecture"]) if "system" in facts else None
        result.update(decide(wanted, state, platform, _new_htpasswd), state=state, changed=False)
        if "ansible_facts" in read:
            result["ansible_facts"] = read["ansible_facts"]
        return result
