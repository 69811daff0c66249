"""A zot replica set on booted test hosts (harness/hosts.py): one inventory group `zot_replicas`, S3
(moto) and Redis on the controller reached from the hosts at the bridge's address, HAProxy on the
controller in front of them. Used by test_fleet.py and benchmarks/fleet.py."""
import json
import secrets
import tempfile
from pathlib import Path

from integration.harness.ansible import run_playbook
from integration.harness.env import REPO
from integration.scale_out.replicas import ACCESS, USERS
from integration.server.server_helpers import BootedHost

ROLLING_UPDATE = REPO / "playbooks" / "rolling_update.yml"
SERVER = REPO / "tests" / "integration" / "server" / "playbooks" / "server.yml"


class Fleet:
    """``hosts``: BootedHost per test host (reset on creation); ``shared``: the replicas' group vars."""

    def __init__(self, test_hosts, release_mirror, controller_cache, moto=None, redis=None, bucket=None):
        self.test_hosts = test_hosts
        self.hosts = {}
        for host in test_hosts.hosts:
            booted = BootedHost(host, {}, controller_cache)
            booted.reset(keep_binary=False)  # every host needs the binary: one download, a copy each
            self.hosts[host.name] = booted
        gateway = test_hosts.gateway
        self.shared = {
            "zot_release_base_url": release_mirror.base_url,
            "zot_local_cache_path": str(controller_cache),
            "zot_health_check_timeout": 20,
            "zot_htpasswd_users": [{"name": n, "password": p} for n, p in USERS.items()],
            "zot_access_control": ACCESS,
            "zot_log_level": "info",
        }
        if moto is not None:
            self.shared.update({
                "zot_replica_set": "fleet",
                "zot_auth_apikey": True,
                # moto takes any keys: distinct ones let the tests look for them in Ansible's output.
                "zot_storage_s3": {"bucket": bucket, "region": moto.region,
                                   "endpoint": moto.endpoint_url.replace("127.0.0.1", gateway),
                                   "force_path_style": True, "access_key_id": "AKIA" + secrets.token_hex(8).upper(),
                                   "secret_access_key": secrets.token_urlsafe(30)},
                "zot_redis": {"url": redis.url.replace("127.0.0.1", gateway), "password": redis.password,
                              "key_prefix": bucket},
            })
        self.haproxy = None

    @property
    def secrets(self):
        values = list(USERS.values())
        if "zot_storage_s3" in self.shared:
            values += [self.shared["zot_storage_s3"]["secret_access_key"], self.shared["zot_redis"]["password"]]
        return values

    def backends(self):
        return dict((name, f"{host.address}:{host.port}") for name, host in self.hosts.items())

    def inventory(self, path, shared=None):
        group_vars = dict(self.shared, **(shared or {}))
        if self.haproxy:
            group_vars.update({"zot_haproxy_socket": self.haproxy.socket, "zot_haproxy_host": "localhost",
                               "zot_haproxy_backend": "zot", "zot_haproxy_timeout": 30})
        # One host variable differs per host (the realm zot names in its auth challenge): what one host's
        # run computes must never land on another.
        inventory = {"zot_replicas": {"vars": group_vars, "hosts": dict(
            (name, dict(host.host.inventory_vars(), zot_http_realm=f"zot-{name}")) for name, host in self.hosts.items())}}
        Path(path).write_text(json.dumps(inventory, indent=2))
        Path(path).chmod(0o600)
        return str(path)

    def run(self, playbook=SERVER, check=False, diff=False, verbosity=0, shared=None, forks=None):
        with tempfile.TemporaryDirectory(prefix="zotops-fleet-") as tmp:
            env = {"ANSIBLE_FORKS": str(forks or len(self.hosts))}
            return run_playbook(playbook, inventory=self.inventory(Path(tmp) / "inventory.json", shared),
                                check=check, diff=diff, verbosity=verbosity, env=env)
