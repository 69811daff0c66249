#!/usr/bin/env python
"""Benchmark (not a test): pull throughput of zot replicas on shared storage behind a load balancer.

Three zot replicas installed by zotops.zot.rolling_update on one moto S3 bucket and one Debian
redis-server, and one zot on local disk installed by zotops.zot.server, all on loopback. One image
(a layer of --layer-mib MiB) is pushed once; then a bounded loop of pulls (manifest + every blob,
bodies read) runs through HAProxy in front of:

- 1 replica on local disk (the baseline: what one registry host does today),
- 1, 2 and 3 replicas on shared storage,

each for --seconds seconds with --clients concurrent clients, and prints pulls/s and MiB/s side by
side: the cost of shared storage is the first two rows, the gain of replicas the last three. On a
2-core machine every process (zot, moto, Redis, HAProxy, the clients) shares the same two cores, so
the replica rows show the contention as much as the scaling; on real hosts each replica has its own.

Usage (as root, after scripts/setup-dev-env.sh, with the zot binary the harness uses):
  .venv/bin/python benchmarks/scale_out.py [--seconds 10] [--clients 4] [--layer-mib 4]
"""
import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from integration.harness import oci, zot  # noqa: E402
from integration.harness.aws import MotoServer  # noqa: E402
from integration.harness.env import VERSIONS  # noqa: E402
from integration.harness.haproxy import HAProxy  # noqa: E402
from integration.harness.mirror import ReleaseMirror  # noqa: E402
from integration.harness.redis import RedisServer  # noqa: E402
from integration.scale_out.replicas import USERS, ReplicaSet, new_root  # noqa: E402
from integration.server.server_helpers import Host, systemctl_dir  # noqa: E402

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def pull_loop(url, repo, seconds, clients):
    """(pulls, bytes, errors) of `clients` threads pulling repo:1.0 through `url` for `seconds`."""
    counts = {"pulls": 0, "bytes": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        session = requests.Session()
        while time.monotonic() < deadline:
            try:
                got = session.get(f"{url}/v2/{repo}/manifests/1.0", headers={"Accept": MANIFEST}, timeout=30)
                got.raise_for_status()
                size = len(got.content)
                doc = got.json()
                for digest in [doc["config"]["digest"]] + [layer["digest"] for layer in doc["layers"]]:
                    blob = session.get(f"{url}/v2/{repo}/blobs/{digest}", timeout=60)
                    blob.raise_for_status()
                    size += len(blob.content)
                with lock:
                    counts["pulls"] += 1
                    counts["bytes"] += size
            except requests.RequestException:
                with lock:
                    counts["errors"] += 1

    threads = [threading.Thread(target=client) for _client in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--layer-mib", type=int, default=4)
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the role creates a system user and systemd units")
    binary, reason = zot.zot_binary()
    if binary is None:
        sys.exit(reason)

    root = new_root("zotops-bench-scale-")
    work = Path(tempfile.mkdtemp(prefix="zotops-bench-services-"))
    started = []
    try:
        mirror = ReleaseMirror(work / "mirror", VERSIONS["ZOT_VERSION"], binary).start()
        started.append(mirror)
        moto = MotoServer(work).start()
        started.append(moto)
        redis = RedisServer(str(work)).start()
        started.append(redis)
        bucket = f"zot-bench-{uuid.uuid4().hex[:8]}"
        moto.client("s3").create_bucket(Bucket=bucket)
        systemd = systemctl_dir(work)

        replicas = ReplicaSet(root / "replicas", mirror, systemd, moto, redis, bucket)
        started.append(replicas)
        deployed = replicas.run()
        if deployed.rc != 0:
            sys.exit(f"deploying the replicas failed:\n{deployed}")
        local = Host(root / "local", {"zot_release_base_url": mirror.base_url,
                                      "zot_local_cache_path": str(root / "replicas" / "controller-cache"),
                                      "zot_htpasswd_users": replicas.shared["zot_htpasswd_users"],
                                      "zot_access_control": replicas.shared["zot_access_control"]}, systemd)
        started.append(local)
        converged = local.run()
        if converged.rc != 0:
            sys.exit(f"installing the local-disk zot failed:\n{converged}")

        image = oci.build_image(work / "image", "1.0", content=os.urandom(args.layer_mib << 20).hex()[: args.layer_mib << 20])
        for url in (replicas.url("r1"), local.url):
            pushed = oci.skopeo_copy(image, f"docker://{url.split('://', 1)[1]}/bench/app:1.0",
                                     creds=f"ci:{USERS['ci']}")
            if pushed.returncode != 0:
                sys.exit(f"push to {url} failed: {pushed.stderr}")

        rows = [("1 replica, local disk", {"local": local.vars["zot_http_port"]})]
        ports = replicas.ports()
        for count in (1, 2, 3):
            rows.append((f"{count} replica{'s' if count > 1 else ''}, S3 + Redis",
                         dict(list(ports.items())[:count])))
        print(f"\npull throughput through HAProxy: {args.clients} clients, {args.seconds:.0f} s per row, "
              f"image {args.layer_mib} MiB, loopback, {os.cpu_count()} cores\n")
        print(f"{'':28} {'pulls/s':>9} {'MiB/s':>9} {'errors':>7}")
        for label, servers in rows:
            proxy = HAProxy(work / f"haproxy-{len(started)}", servers).start()
            started.append(proxy)
            time.sleep(1.5)  # health checks mark the servers up
            pull_loop(proxy.url, "bench/app", 2, args.clients)  # warm-up
            counts = pull_loop(proxy.url, "bench/app", args.seconds, args.clients)
            print(f"{label:28} {counts['pulls'] / args.seconds:9.1f} "
                  f"{counts['bytes'] / args.seconds / (1 << 20):9.1f} {counts['errors']:7d}", flush=True)
            proxy.stop()
    finally:
        for item in reversed(started):
            item.stop()


if __name__ == "__main__":
    main()
