"""Tiny OCI images built locally, and skopeo to push and pull them."""
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = Path(layout, "blobs", "sha256", digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def build_image(layout, tag="1.0", content=None):
    """Write a one-layer image to an OCI layout dir; returns the skopeo reference `oci:<dir>:<tag>`.

    Different `content` gives a different digest, so a test can tell an overwrite from a no-op.
    """
    content = (content if content is not None else f"zotops test image {tag}").encode()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    raw = tar_bytes.getvalue()
    layer = _blob(layout, gzip.compress(raw, mtime=0))
    config = _blob(layout, json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(raw).hexdigest()}"]},
    }, sort_keys=True).encode())
    manifest = _blob(layout, json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}],
    }, sort_keys=True).encode())
    index_path = Path(layout, "index.json")
    index = json.loads(index_path.read_text()) if index_path.exists() else {"schemaVersion": 2, "manifests": []}
    index["manifests"] = [m for m in index["manifests"]
                          if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    index["manifests"].append({"mediaType": MANIFEST, **manifest,
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    index_path.write_text(json.dumps(index))
    Path(layout, "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    return f"oci:{layout}:{tag}"


def skopeo_copy(src, dst, creds=None, src_creds=None, timeout=120):
    """`skopeo copy` over plain HTTP on loopback; returns the CompletedProcess (never raises)."""
    argv = ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
            "--retry-times=0"]
    if creds:
        argv.append(f"--dest-creds={creds}")
    else:
        argv.append("--dest-no-creds")
    if src_creds:
        argv.append(f"--src-creds={src_creds}")
    elif src.startswith("docker://"):
        argv.append("--src-no-creds")
    env = dict(os.environ, REGISTRY_AUTH_FILE=os.devnull)  # never pick up a developer's logins
    return subprocess.run(argv + [src, dst], capture_output=True, text=True, timeout=timeout, env=env, check=False)


def assert_new_tag_pushed_overwrite_refused(skopeo_copy, oci_image, oci_image_factory, zot_url, repo, user, key):
    """A tier that may create but not update: a new tag pushes; the same tag again (other content) is
    refused, by skopeo and as a 403 for the manifest PUT itself. Returns that other image (an admin's
    overwrite uses it)."""
    import requests  # only the tests that push need it

    target = f"docker://{zot_url.split('://', 1)[1]}/{repo}"
    pushed = skopeo_copy(oci_image, f"{target}:1", creds=f"{user}:{key}")
    assert pushed.returncode == 0, pushed.stderr
    other = oci_image_factory(tag="1", content="a rebuild")
    refused = skopeo_copy(other, f"{target}:1", creds=f"{user}:{key}")
    assert refused.returncode != 0 and "denied" in refused.stderr.lower(), refused.stderr
    body = requests.get(f"{zot_url}/v2/{repo}/manifests/1", headers={"Accept": MANIFEST}, timeout=10).content
    put = requests.put(f"{zot_url}/v2/{repo}/manifests/1", data=body, auth=(user, key),
                       headers={"Content-Type": MANIFEST}, timeout=30)
    assert put.status_code == 403, (put.status_code, put.text)
    return other


def assert_admin_overwrites_and_deletes(skopeo_copy, rebuild, zot_url, repo, ci, admin):
    """The admin tier: ``admin`` ((user, key)) overwrites tag 1 with ``rebuild`` and deletes tag 2's
    manifest, which ``ci`` ((user, key), create-only) may not delete."""
    import requests  # only the tests that push need it

    target = f"docker://{zot_url.split('://', 1)[1]}/{repo}"
    overwrite = skopeo_copy(rebuild, f"{target}:1", creds=":".join(admin))
    assert overwrite.returncode == 0, overwrite.stderr
    digest = requests.head(f"{zot_url}/v2/{repo}/manifests/2", headers={"Accept": MANIFEST},
                           timeout=10).headers["Docker-Content-Digest"]
    assert requests.delete(f"{zot_url}/v2/{repo}/manifests/{digest}", auth=ci, timeout=10).status_code == 403
    assert requests.delete(f"{zot_url}/v2/{repo}/manifests/{digest}", auth=admin, timeout=10).status_code == 202
    assert requests.get(f"{zot_url}/v2/{repo}/manifests/2", timeout=10).status_code == 404
