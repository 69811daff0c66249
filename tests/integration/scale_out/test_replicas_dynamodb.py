"""Two zot replicas on moto's S3 with moto's DynamoDB as cache and metadata store (instead of Redis),
sessions in cookies signed with shared session keys: the same registry seen through either replica."""
import secrets
import uuid

import pytest
import requests

from integration.scale_out.replicas import USERS, ReplicaSet, needs_root, new_root

pytestmark = [pytest.mark.zot, pytest.mark.slow]

MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def dynamodb_pair(release_mirror, systemd_path, moto_server):
    if not needs_root():
        pytest.skip("installing zot as a service creates a system user and units: run as root")
    bucket = f"zot-{uuid.uuid4().hex[:10]}"
    moto_server.client("s3").create_bucket(Bucket=bucket)
    pair = ReplicaSet(new_root("zotops-dynamodb-"), release_mirror, systemd_path, moto_server, None, bucket,
                      names=("d1", "d2"))
    pair.shared.update({
        "zot_dynamodb": {"region": moto_server.region, "endpoint": moto_server.endpoint_url, "table_prefix": bucket},
        "zot_auth_session_keys": {"hash_key": secrets.token_hex(32), "encrypt_key": secrets.token_hex(16)},
    })
    try:
        result = pair.run()
        assert result.rc == 0, str(result)
        yield pair
    finally:
        pair.stop()


def test_zot_created_its_tables_in_dynamodb(dynamodb_pair, moto_server):
    tables = moto_server.client("dynamodb").list_tables()["TableNames"]
    prefix = dynamodb_pair.shared["zot_dynamodb"]["table_prefix"]
    assert {f"{prefix}-repo-meta", f"{prefix}-api-keys", f"{prefix}-blobs"} <= set(tables)


def test_push_key_and_session_made_on_one_replica_work_on_the_other(dynamodb_pair, oci_image, skopeo_copy):
    d1, d2 = dynamodb_pair.url("d1"), dynamodb_pair.url("d2")
    pushed = skopeo_copy(oci_image, f"docker://{d1.split('://')[1]}/private/dyn:1.0", creds=f"ci:{USERS['ci']}")
    assert pushed.returncode == 0, pushed.stderr
    assert requests.get(f"{d2}/v2/private/dyn/tags/list", timeout=10).status_code == 401
    made = requests.post(f"{d1}/zot/auth/apikey", json={"label": "dynamodb", "scopes": []},
                         auth=("ci", USERS["ci"]), timeout=10)
    assert made.status_code == 201, made.text
    listed = requests.get(f"{d2}/v2/private/dyn/tags/list", auth=("ci", made.json()["apiKey"]), timeout=10)
    assert listed.status_code == 200 and listed.json()["tags"] == ["1.0"]
    # Sessions are cookies signed and encrypted with the shared session keys: valid on either replica.
    login = requests.get(f"{d1}/v2/_catalog", auth=("ci", USERS["ci"]), headers={"X-ZOT-API-CLIENT": "zot-ui"},
                         timeout=10)
    assert "session" in login.cookies, login.headers
    on_d2 = requests.get(f"{d2}/v2/private/dyn/tags/list", cookies={"session": login.cookies["session"]},
                         headers={"X-ZOT-API-CLIENT": "zot-ui"}, timeout=10)
    assert on_d2.status_code == 200, on_d2.text


def test_second_run_changes_nothing(dynamodb_pair):
    again = dynamodb_pair.run()
    assert again.rc == 0 and again.changed == 0, str(again)
