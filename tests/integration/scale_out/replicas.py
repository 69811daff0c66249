"""A zot replica set on loopback: three simulated hosts (the server tests' Host) sharing a moto S3
bucket and a redis-server, behind HAProxy, deployed by the shipped playbook zotops.zot.rolling_update."""
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from integration.harness.ansible import ansible_env, run_playbook
from integration.harness.env import REPO, venv_bin
from integration.server.server_helpers import Host

ROLLING_UPDATE = REPO / "playbooks" / "rolling_update.yml"
USERS = {"admin": "admin-Pass-1", "ci": "ci-Pass-1"}
# The seeds' tiers, plus private/** that only signed-in users read (to tell a session from anonymous).
ACCESS = {
    "groups": {"artifact-workloads": {"users": ["ci"]}, "admins": {"users": ["admin"]}},
    "repositories": {
        "private/**": {"policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]},
        "**": {"anonymousPolicy": ["read"], "defaultPolicy": ["read"],
               "policies": [{"groups": ["artifact-workloads"], "actions": ["read", "create"]}]},
    },
    "adminPolicy": {"groups": ["admins"], "actions": ["read", "create", "update", "delete"]},
}


class ReplicaSet:
    """Hosts r1..rN, one inventory group `zot_replicas`; ``shared`` are its group vars."""

    def __init__(self, root, release_mirror, systemd_path, moto, redis, bucket, names=("r1", "r2", "r3")):
        self.root = Path(root)
        self.systemd_path = systemd_path
        self.moto, self.redis = moto, redis
        cache = self.root / "controller-cache"
        self.hosts = {}
        for name in names:
            # zot on S3 and Redis answers within a second or two; a replica that does not come back is
            # found sooner.
            host = Host(self.root / name, {"zot_release_base_url": release_mirror.base_url,
                                           "zot_local_cache_path": str(cache), "zot_health_check_timeout": 10},
                        systemd_path)
            self.hosts[name] = host
        self.shared = {
            "zot_replica_set": "registry",
            # moto takes any keys: distinct ones let the tests look for them in Ansible's output.
            "zot_storage_s3": {"bucket": bucket, "region": moto.region, "endpoint": moto.endpoint_url,
                               "force_path_style": True, "access_key_id": "AKIA" + secrets.token_hex(8).upper(),
                               "secret_access_key": secrets.token_urlsafe(30)},
            "zot_htpasswd_users": [{"name": n, "password": p} for n, p in USERS.items()],
            "zot_access_control": ACCESS,
            "zot_auth_apikey": True,
            "zot_log_level": "info",
        }
        if redis is not None:
            self.shared["zot_redis"] = {"url": redis.url, "password": redis.password, "key_prefix": bucket}
        self.haproxy = None

    def url(self, name):
        return self.hosts[name].url

    def ports(self):
        return dict((name, host.vars["zot_http_port"]) for name, host in self.hosts.items())

    def inventory(self, path, shared=None, hosts=None):
        group_vars = dict(self.shared, **(shared or {}))
        # None drops a variable: the host then has the role's default, as if the inventory never set it.
        group_vars = dict((k, v) for k, v in group_vars.items() if v is not None)
        if self.haproxy:
            group_vars.update({"zot_haproxy_socket": self.haproxy.socket, "zot_haproxy_backend": "zot",
                               "zot_haproxy_timeout": 30})
        inventory = {
            "all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": venv_bin("python")}},
            "zot_replicas": {"vars": group_vars, "hosts": {}},
        }
        for name, host in self.hosts.items():
            inventory["zot_replicas"]["hosts"][name] = dict(host.vars, **((hosts or {}).get(name, {})))
        Path(path).write_text(json.dumps(inventory, indent=2))
        Path(path).chmod(0o600)
        return path

    def run(self, check=False, diff=False, verbosity=0, limit=None, shared=None, hosts=None, playbook=ROLLING_UPDATE):
        with tempfile.TemporaryDirectory(prefix="zotops-replicas-") as tmp:
            inventory = self.inventory(Path(tmp) / "inventory.json", shared, hosts)
            env = next(iter(self.hosts.values())).env()
            return run_playbook(playbook, inventory=inventory, check=check, diff=diff, verbosity=verbosity,
                                env=env, limit=limit)

    def kill(self, name):
        """SIGKILL one replica's zot (a crash: nothing restarts it until the role runs again)."""
        config = str(self.hosts[name].config_path)
        subprocess.run(["pkill", "-KILL", "-f", f"serve {config}"], check=False)

    def snapshot(self):
        return dict((name, host.snapshot()) for name, host in self.hosts.items())

    def stop(self):
        for host in self.hosts.values():
            host.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def new_root(prefix):
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def needs_root():
    return os.geteuid() == 0


__all__ = ["ReplicaSet", "USERS", "ACCESS", "ansible_env", "new_root", "needs_root"]
