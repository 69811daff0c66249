"""Run ansible-playbook against this checkout of the collection, as a user would."""
import contextlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .env import REPO, venv_bin

COLLECTIONS_ROOT = REPO / "tests" / "output" / "collections"
# The virtualenv whose ansible-core runs the plays (the ``ansible_core`` fixture sets it for the tests
# marked ansible_range); None: the main venv.
_core_venv = None


def ansible_bin(name):
    """A program (ansible-playbook, python) of the ansible-core release the current test runs."""
    return str(Path(_core_venv) / "bin" / name) if _core_venv else venv_bin(name)


@contextlib.contextmanager
def ansible_core_venv(venv):
    """Run the plays of the block with the ansible-core (and controller Python) of ``venv``."""
    global _core_venv  # pylint: disable=global-statement
    previous, _core_venv = _core_venv, venv
    try:
        yield
    finally:
        _core_venv = previous


RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)"
                   r"\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)", re.M)


def collection_tree():
    """ansible_collections/zotops/zot pointing at the checkout, so plays use FQCNs unchanged."""
    link = COLLECTIONS_ROOT / "ansible_collections" / "zotops" / "zot"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name(f"zot.{os.getpid()}")
        tmp.symlink_to(REPO, target_is_directory=True)
        os.replace(tmp, link)
    return COLLECTIONS_ROOT


@dataclass(repr=False)
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    recap: dict = field(default_factory=dict)

    @property
    def output(self):
        return self.stdout + self.stderr

    @property
    def changed(self):
        return sum(host["changed"] for host in self.recap.values())

    @property
    def failed(self):
        return sum(host["failed"] + host["unreachable"] for host in self.recap.values())

    def __repr__(self):
        return f"rc={self.rc}\n--- stdout ---\n{self.stdout[-12000:]}\n--- stderr ---\n{self.stderr[-4000:]}"


def local_inventory(path, hosts=("localhost",), host_vars=None):
    """An inventory of hosts reached over the local connection with the venv's python."""
    inventory = {"all": {"hosts": {}, "vars": {
        "ansible_connection": "local",
        # Discovery can pick a pyenv shim that is not on PATH; name the interpreter.
        "ansible_python_interpreter": ansible_bin("python"),
    }}}
    for host in hosts:
        inventory["all"]["hosts"][host] = dict((host_vars or {}).get(host, {}))
    Path(path).write_text(json.dumps(inventory, indent=2))
    return str(path)


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collection_tree()),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "PATH": f"{Path(ansible_bin('python')).parent}:{Path(venv_bin('python')).parent}:{env.get('PATH', '')}",
    })
    env.update(extra or {})
    return env


def run_playbook(playbook, inventory=None, extra_vars=None, check=False, diff=False,
                 verbosity=0, env=None, tags=None, limit=None, timeout=900, cwd=None):
    """Run a playbook; extra vars go through a 0600 file so no secret is on the command line."""
    with tempfile.TemporaryDirectory(prefix="zotops-play-") as tmp:
        if inventory is None:
            inventory = local_inventory(Path(tmp) / "inventory.json")
        argv = [ansible_bin("ansible-playbook"), "-i", str(inventory), str(playbook)]
        if extra_vars:
            vars_file = Path(tmp) / "extra_vars.json"
            vars_file.write_text(json.dumps(extra_vars))
            vars_file.chmod(0o600)
            argv += ["-e", f"@{vars_file}"]
        if check:
            argv.append("--check")
        if diff:
            argv.append("--diff")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        if tags:
            argv += ["--tags", ",".join(tags)]
        if limit:
            argv += ["--limit", limit]
        proc = subprocess.run(argv, capture_output=True, text=True, env=ansible_env(env), check=False,
                              timeout=timeout, cwd=cwd or tmp)
    recap = {m.group(1): dict(zip(("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored"),
                                  map(int, m.groups()[1:])))
             for m in RECAP.finditer(proc.stdout)}
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, recap)
