# -*- coding: utf-8 -*-
# Copyright: (c) 2026, zotops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The platform, service manager and user facts, as ``ansible.builtin.setup`` gathers them with
``gather_subset: [platform, service_mgr, user]``, read inside another module's call.

The server role reads them in its one ``zot_install_state`` call when the play gathered no facts,
instead of a ``setup`` call of its own (one SSH round trip and module start fewer per host and run).
Ansible's collectors are not imported (their package imports every collector); the logic below
follows theirs (ansible-core 2.17 to 2.21) for these facts. ``fqdn`` and ``domain`` are left out:
they need a DNS lookup, which can take seconds on a host with a slow resolver, and nothing reads them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import getpass
import os
import platform
import pwd
import re
import struct

# Go's names of the architectures zot publishes releases for (zot-<os>-<arch>).
GO_ARCH = {'x86_64': 'amd64', 'amd64': 'amd64', 'aarch64': 'arm64', 'arm64': 'arm64'}

# What setup's service_mgr collector calls some inits it finds as PID 1.
_PROC_1_NAMES = {'procd': 'openwrt_init', 'runit-init': 'runit', 'svscan': 'svc', 'openrc-init': 'openrc'}


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


def platform_facts():
    """system, kernel, machine, architecture, ... (setup's ``platform`` subset, without fqdn and domain)."""
    facts = {
        'system': platform.system(),
        'kernel': platform.release(),
        'kernel_version': platform.version(),
        'machine': platform.machine(),
        'python_version': platform.python_version(),
        'hostname': platform.node().split('.')[0],
        'nodename': platform.node(),
        # What platform.architecture() reports for the running interpreter, without running `file`.
        'userspace_bits': str(struct.calcsize('P') * 8),
    }
    machine = facts['machine']
    if machine == 'x86_64' or re.search(r'i([3456]86|86pc)', machine):
        facts['architecture'] = 'x86_64' if machine == 'x86_64' else 'i386'
        facts['userspace_architecture'] = 'x86_64' if facts['userspace_bits'] == '64' else 'i386'
    elif facts['system'] == 'OpenBSD':
        facts['architecture'] = platform.uname()[5]
    else:
        facts['architecture'] = machine
    machine_id = _read('/var/lib/dbus/machine-id') or _read('/etc/machine-id')
    if machine_id:
        facts['machine_id'] = machine_id.splitlines()[0]
    return facts


def _systemd_booted(get_bin_path):
    """systemctl is installed and systemd booted the host (sd_booted(3)'s test, as setup makes it)."""
    return bool(get_bin_path('systemctl')) and any(
        os.path.exists(canary) for canary in ('/run/systemd/system/', '/dev/.run/systemd/', '/dev/.systemd/'))


def service_mgr(system, get_bin_path, run_command):
    """The ``service_mgr`` fact: PID 1's name where it tells, else by platform and what is installed."""
    proc_1 = _read('/proc/1/comm')
    if proc_1 is None:
        rc, out, _err = run_command('ps -p 1 -o comm|tail -n 1', use_unsafe_shell=True)
        proc_1 = None if rc != 0 or not out.strip() or re.match(r' *[0-9]+ ', out) or out == 'COMMAND\n' else out
    if proc_1 is None and os.path.islink('/sbin/init'):
        proc_1 = os.readlink('/sbin/init')
    if proc_1 is not None:
        proc_1 = os.path.basename(proc_1).strip()
        if proc_1 == 'init' or proc_1.endswith('sh'):
            proc_1 = None
    if proc_1 is not None:
        return _PROC_1_NAMES.get(proc_1, proc_1) or 'service'
    if system == 'Darwin':
        return 'launchd'
    if 'BSD' in system or system in ('Bitrig', 'DragonFly'):
        return 'bsdinit'
    if system == 'AIX':
        return 'src'
    if system == 'SunOS':
        return 'smf'
    if system == 'Linux':
        if _systemd_booted(get_bin_path):
            return 'systemd'
        if get_bin_path('initctl') and os.path.exists('/etc/init/'):
            return 'upstart'
        if os.path.exists('/sbin/openrc'):
            return 'openrc'
        if get_bin_path('systemctl') and os.path.islink('/sbin/init') \
                and os.path.basename(os.readlink('/sbin/init')) == 'systemd':
            return 'systemd'
        if os.path.exists('/etc/init.d/'):
            return 'sysvinit'
        if os.path.exists('/etc/dinit.d/'):
            return 'dinit'
    return 'service'


def user_facts():
    """user_id, user_uid, user_dir, ... of the user the module runs as (setup's ``user`` subset)."""
    name = getpass.getuser()
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        entry = pwd.getpwuid(os.getuid())
    return {
        'user_id': name, 'user_uid': entry.pw_uid, 'user_gid': entry.pw_gid, 'user_gecos': entry.pw_gecos,
        'user_dir': entry.pw_dir, 'user_shell': entry.pw_shell, 'real_user_id': os.getuid(),
        'effective_user_id': os.geteuid(), 'real_group_id': os.getgid(), 'effective_group_id': os.getgid(),
    }


def host_facts(get_bin_path, run_command):
    """setup's platform, service_mgr and user facts (without fqdn and domain), by name."""
    facts = platform_facts()
    facts['service_mgr'] = service_mgr(facts['system'], get_bin_path, run_command)
    facts.update(user_facts())
    return facts


def go_platform(system, architecture):
    """Go's name of a platform, as zot's release assets carry it (``linux-amd64``)."""
    return '%s-%s' % (system.lower(), GO_ARCH.get(architecture, architecture))


def for_host(entries, facts):
    """The entries (dicts) meant for this host: those whose ``platform`` (Go's name) and ``service_manager``
    (the service_mgr fact), when given, are the host's."""
    return [entry for entry in entries
            if (not entry.get('platform') or entry['platform'] == go_platform(facts['system'], facts['architecture']))
            and (not entry.get('service_manager') or entry['service_manager'] == facts['service_mgr'])]
