"""Three zot replicas on shared S3 (moto) and Redis (Debian redis-server) behind HAProxy, installed
by zotops.zot.rolling_update: what a user of a scaled-out registry would notice."""
import pytest
import requests

from integration.scale_out.replicas import USERS

pytestmark = [pytest.mark.zot, pytest.mark.slow]

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def push(skopeo_copy, image, url, ref, user=None):
    creds = f"{user}:{USERS[user]}" if user else None
    return skopeo_copy(image, f"docker://{url.split('://', 1)[1]}/{ref}", creds=creds)


def manifest(url, repo, tag, auth=None):
    return requests.get(f"{url}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST}, auth=auth, timeout=10)


def test_push_through_one_replica_is_served_by_all(replica_set, oci_image_factory, skopeo_copy):
    image = oci_image_factory("1.0", content="pushed through r1")
    pushed = push(skopeo_copy, image, replica_set.url("r1"), "team/shared:1.0", user="ci")
    assert pushed.returncode == 0, pushed.stderr
    digests = set()
    for name in ("r2", "r3"):
        got = manifest(replica_set.url(name), "team/shared", "1.0")
        assert got.status_code == 200, (name, got.status_code)
        digests.add(got.headers["Docker-Content-Digest"])
        pulled = skopeo_copy(f"docker://127.0.0.1:{replica_set.hosts[name].vars['zot_http_port']}/team/shared:1.0",
                             f"oci:{replica_set.root / ('pulled-' + name)}:1.0")
        assert pulled.returncode == 0, pulled.stderr
    assert len(digests) == 1
    catalogs = [requests.get(f"{replica_set.url(n)}/v2/_catalog", timeout=10).json()["repositories"]
                for n in replica_set.hosts]
    assert all(c == catalogs[0] for c in catalogs) and "team/shared" in catalogs[0]

    # A delete through r3 (admin) is seen by r1.
    digest = digests.pop()
    deleted = requests.delete(f"{replica_set.url('r3')}/v2/team/shared/manifests/{digest}",
                              auth=("admin", USERS["admin"]), timeout=10)
    assert deleted.status_code == 202, deleted.text
    assert manifest(replica_set.url("r1"), "team/shared", "1.0").status_code == 404
