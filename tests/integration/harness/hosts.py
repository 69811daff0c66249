"""Test hosts that are real machines to Ansible: Debian roots booted with systemd-nspawn.

scripts/setup-dev-env.sh builds one Debian root with debootstrap (systemd, sshd, sudo, python3, an
unprivileged user `ansible` whose authorized key it made). Each host boots an overlay of it with
systemd as its PID 1, in its own network namespace, on a bridge the harness makes; Ansible reaches it
over SSH as `ansible` with `become`, as users reach theirs. The controller's loopback services (the
release mirror, S3, Redis, LDAP, ...) are reached from the hosts at the bridge's address: a DNAT rule
maps it to 127.0.0.1, so every harness service keeps listening on loopback only.

Each host's root filesystem is a directory on the controller, so tests read what the role wrote
(contents, modes, owners) without going through the host.
"""
import concurrent.futures
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .env import setting

SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
               "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]


class HostError(RuntimeError):
    pass


def host_support():
    """(image, key, None) when test hosts can be booted here, else (None, None, why not)."""
    if os.geteuid() != 0:
        return None, None, f"booting test hosts needs root (systemd-nspawn, overlay mounts, a bridge): uid {os.geteuid()}"
    for program, package in (("systemd-nspawn", "systemd-container"), ("ip", "iproute2"),
                             ("iptables", "iptables"), ("ssh", "openssh-client")):
        if shutil.which(program) is None:
            return None, None, f"{program} is not installed (Debian package {package}; scripts/setup-dev-env.sh installs it)"
    image, key = setting("ZOTOPS_HOST_IMAGE"), setting("ZOTOPS_HOST_KEY")
    if image and Path(image, ".complete").exists() and key and Path(key).exists():
        return image, key, None
    error = setting("ZOTOPS_HOST_ERROR")
    reason = "scripts/setup-dev-env.sh has not built the test host image"
    if error and Path(error).exists():
        reason = "the test host image could not be built: " + Path(error).read_text().strip().splitlines()[-1]
    return None, None, reason


def _run(argv, check=True, **kwargs):
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if check and proc.returncode != 0:
        raise HostError(f"{' '.join(map(str, argv))} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


class HostNetwork:
    """A bridge with the controller's address on it, in a /24 no interface here uses yet."""

    def __init__(self):
        self.bridge = f"zotops{os.getpid() % 100000}"
        used = _run(["ip", "-o", "-4", "addr", "show"]).stdout
        for third in range(77, 250):
            subnet = ipaddress.ip_network(f"10.{third}.0.0/24")
            if f" 10.{third}.0." not in used:
                break
        else:
            raise HostError("no free 10.x.0.0/24 for the test hosts' bridge")
        self.subnet = subnet
        self.gateway = str(subnet.network_address + 1)
        self._rule = ["PREROUTING", "-i", self.bridge, "-d", self.gateway, "-p", "tcp",
                      "-j", "DNAT", "--to-destination", "127.0.0.1"]

    def address(self, index):
        return str(self.subnet.network_address + 10 + index)

    def up(self):
        _run(["ip", "link", "add", self.bridge, "type", "bridge"])
        _run(["ip", "addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge])
        _run(["ip", "link", "set", self.bridge, "up"])
        # Packets to 127.0.0.1 that arrive on the bridge are routed, not dropped as martians.
        Path(f"/proc/sys/net/ipv4/conf/{self.bridge}/route_localnet").write_text("1\n")
        _run(["iptables", "-t", "nat", "-A"] + self._rule)
        return self

    def down(self):
        _run(["iptables", "-t", "nat", "-D"] + self._rule, check=False)
        _run(["ip", "link", "del", self.bridge], check=False)


class TestHost:
    """One booted host: ``name``, ``address``, ``rootfs`` (its / on the controller), ssh() as the login user."""

    __test__ = False  # not a pytest test class

    def __init__(self, name, index, network, image, key, workdir):
        self.name, self.network, self.image, self.key = name, network, image, key
        self.address = network.address(index)
        self.workdir = Path(workdir)
        self.rootfs = self.workdir / "root"
        self.control_dir = Path(tempfile.mkdtemp(prefix=f"ssh-{name}-", dir="/tmp"))
        self.proc = None

    # --- lifecycle ---------------------------------------------------------------------------
    def boot(self):
        for sub in ("upper", "work", "root"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        _run(["mount", "-t", "overlay", "overlay", "-o",
              f"lowerdir={self.image},upperdir={self.workdir / 'upper'},workdir={self.workdir / 'work'}",
              str(self.rootfs)])
        self._write("etc/hostname", f"{self.name}\n")
        self._write("etc/hosts", f"127.0.0.1 localhost\n127.0.1.1 {self.name}\n")
        # Sorts before systemd's 80-container-host0.network, which would take a link-local address.
        self._write("etc/systemd/network/10-host0.network",
                    f"[Match]\nName=host0\n\n[Network]\nAddress={self.address}/{self.network.subnet.prefixlen}\n"
                    f"Gateway={self.network.gateway}\n")
        log = open(self.workdir / "console.log", "ab")
        # --register=no/--keep-unit: the controller's PID 1 is not systemd (no machined, no scopes).
        # nspawn then puts the container's cgroups under its own: each host gets a cgroup of its own,
        # or the hosts' systemds share one tree and remove each other's unit cgroups (219/CGROUP).
        cgroups = self._own_cgroups()
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--boot", "--quiet", "--register=no", "--keep-unit", "--console=pipe",
             f"--machine={self.name}", f"--directory={self.rootfs}", f"--network-bridge={self.network.bridge}",
             "--resolv-conf=off", "--timezone=off"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=lambda: _join_cgroups(cgroups))
        log.close()
        return self

    def _own_cgroups(self):
        """One cgroup per host in each hierarchy systemd uses (name=systemd on a hybrid layout, the
        unified one)."""
        made = []
        for hierarchy in ("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            base = Path(hierarchy)
            if not (base / "cgroup.procs").exists():
                continue
            group = base / "zotops-hosts" / self.name
            group.mkdir(parents=True, exist_ok=True)
            made.append(group)
        self._cgroups = made
        return made

    def _remove_cgroups(self):
        for group in getattr(self, "_cgroups", []):
            # the container's own sub-groups first, deepest first
            for sub in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                try:
                    sub.rmdir()
                except OSError:
                    pass
            try:
                group.rmdir()
            except OSError:
                pass

    def wait_ready(self, timeout=90):
        """Until sshd answers and a sudo command runs (systemd has reached the login stage)."""
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HostError(f"{self.name} stopped ({self.proc.returncode}) while booting:\n{self.console_tail()}")
            try:
                with socket.create_connection((self.address, 22), timeout=1):
                    pass
            except OSError as exc:
                last = str(exc)
                time.sleep(0.2)
                continue
            self._start_master()
            proc = self.ssh("true", check=False, timeout=20)
            if proc.returncode == 0:
                return self
            last = proc.stderr.strip()
            time.sleep(0.3)
        raise HostError(f"{self.name} ({self.address}): no SSH login after {timeout}s: {last}\n{self.console_tail()}")

    def shutdown(self, timeout=30):
        if self.proc is not None and self.proc.poll() is None:
            # SIGTERM asks the container's systemd for an orderly power-off.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.forget_connection()
        self._remove_cgroups()
        _run(["umount", "-l", str(self.rootfs)], check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)
        shutil.rmtree(self.control_dir, ignore_errors=True)

    def console_tail(self, lines=30):
        try:
            return "\n".join((self.workdir / "console.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # --- access ------------------------------------------------------------------------------
    def ssh_argv(self):
        return ["ssh", "-i", self.key, *SSH_OPTIONS, "-o", "ControlMaster=no", "-o", f"ControlPath={self.control_dir}/cm",
                f"ansible@{self.address}"]

    def _start_master(self):
        """One SSH master connection per host (as Ansible keeps one), so a test's many small commands
        skip the handshake. It runs detached (-f) with no pipe of ours: a master holding a pipe open
        would keep every later command's output from ending. Without it, ssh() connects directly."""
        argv = self.ssh_argv()
        argv[argv.index("ControlMaster=no")] = "ControlMaster=yes"
        subprocess.run(argv[:-1] + ["-o", "ControlPersist=600", "-f", "-N", argv[-1]], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False)

    def ssh(self, command, check=True, timeout=120, root=True):
        """Run a shell command on the host over SSH (as root through sudo unless root=False)."""
        remote = f"sudo -n sh -c {_quote(command)}" if root else command
        proc = _run(self.ssh_argv() + [remote], check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise HostError(f"{self.name}: {command!r} failed ({proc.returncode}): {proc.stderr.strip()}"
                            f"{proc.stdout.strip()}")
        return proc

    def forget_connection(self):
        """Close the harness's SSH master connection (Ansible keeps its own: see ControlPath)."""
        _run(["ssh", "-O", "exit", "-o", f"ControlPath={self.control_dir}/cm", self.address], check=False)

    def inside(self, *argv, check=True, timeout=60):
        """Run a command in the host's namespaces without SSH (works while its sshd is stopped)."""
        leader = _run(["pgrep", "-P", str(self.proc.pid)]).stdout.split()[0]
        return _run(["nsenter", "--target", leader, "--all", "--", *argv], check=check, timeout=timeout)

    def path(self, path):
        """A path of the host, seen from the controller."""
        return self.rootfs / str(path).lstrip("/")

    def inventory_vars(self):
        """How Ansible reaches this host: SSH as an unprivileged user, become for root."""
        return {
            "ansible_host": self.address,
            "ansible_user": "ansible",
            "ansible_ssh_private_key_file": self.key,
            "ansible_ssh_common_args": " ".join(SSH_OPTIONS[:6]),
            "ansible_become": True,
            "ansible_python_interpreter": "/usr/bin/python3",
        }

    def _write(self, path, text):
        target = self.path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _join_cgroups(groups):
    """In the child before exec: move this process into its host's cgroups."""
    for group in groups:
        (group / "cgroup.procs").write_text(str(os.getpid()))


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


class HostFleet:
    """Boots ``count`` hosts in parallel on one bridge; shutdown() stops them and removes everything."""

    def __init__(self, count, prefix="zh"):
        self.image, self.key, reason = host_support()
        if reason:
            raise HostError(reason)
        self.count, self.prefix = count, prefix
        self.workdir = Path(tempfile.mkdtemp(prefix="zotops-hosts-"))
        self.network = HostNetwork()
        self.hosts = []

    def boot(self, timeout=120):
        self.network.up()
        tag = f"{os.getpid() % 10000}"
        self.hosts = [TestHost(f"{self.prefix}{tag}-{i}", i, self.network, self.image, self.key,
                               self.workdir / f"h{i}") for i in range(self.count)]
        try:
            for host in self.hosts:
                host.boot()
            with concurrent.futures.ThreadPoolExecutor(len(self.hosts)) as pool:
                list(pool.map(lambda host: host.wait_ready(timeout), self.hosts))
        except BaseException:
            self.shutdown()
            raise
        return self

    def shutdown(self):
        with concurrent.futures.ThreadPoolExecutor(max(1, len(self.hosts))) as pool:
            list(pool.map(lambda host: host.shutdown(), self.hosts))
        self.network.down()
        shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def gateway(self):
        """The controller's address as the hosts see it (its loopback services answer there)."""
        return self.network.gateway
