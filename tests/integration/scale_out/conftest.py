"""Fixtures for the scale-out tests: one replica set per module, deployed by zotops.zot.rolling_update."""
import uuid

import pytest

from integration.scale_out.replicas import ReplicaSet, needs_root, new_root


def make_bucket(moto_server):
    bucket = f"zot-{uuid.uuid4().hex[:10]}"
    moto_server.client("s3").create_bucket(Bucket=bucket)
    return bucket


@pytest.fixture(scope="module")
def replica_set(release_mirror, systemd_path, moto_server, redis_server, haproxy_factory):
    """Three zot replicas on one moto bucket and one Redis, behind HAProxy, converged."""
    if not needs_root():
        pytest.skip("installing zot as a service creates a system user and units: run as root")
    replicas = ReplicaSet(new_root("zotops-replicas-"), release_mirror, systemd_path, moto_server, redis_server,
                          make_bucket(moto_server))
    replicas.haproxy = haproxy_factory(replicas.ports())
    try:
        result = replicas.run()
        assert result.rc == 0, str(result)
        yield replicas
    finally:
        replicas.stop()
