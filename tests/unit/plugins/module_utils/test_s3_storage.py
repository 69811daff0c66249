"""s3_storage: the signed HeadBucket zot_config_check sends for an S3 storage driver, against what
the AWS SDK computes and what a silent endpoint does."""
import datetime
import socket

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import s3_storage


def test_sigv4_matches_botocore():
    """Our HeadBucket signature is the one the AWS SDK computes for the same request and time."""
    pytest.importorskip("botocore")
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    request = AWSRequest(method="HEAD", url="http://127.0.0.1:9000/my-bucket",
                         headers={"x-amz-content-sha256": s3_storage.EMPTY_SHA256})
    S3SigV4Auth(Credentials("AKID", "SECRET"), "s3", "eu-central-1").add_auth(request)
    when = datetime.datetime.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)
    ours = s3_storage.sigv4_headers("HEAD", "127.0.0.1:9000", "/my-bucket", "eu-central-1",
                                    ("AKID", "SECRET", None), now=when)
    assert ours["authorization"] == request.headers["Authorization"]


def test_shared_credentials_file():
    text = "[other]\naws_access_key_id = X\n[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n"
    assert s3_storage.parse_shared_credentials(text) == ("AK", "SK", None)
    assert s3_storage.parse_shared_credentials("[default]\naws_access_key_id = AK\n") is None


def test_head_bucket_reports_an_endpoint_that_does_not_answer():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(s3_storage.BucketCheckError) as error:
        s3_storage.head_bucket({"bucket": "b", "region": "us-east-1", "regionendpoint": f"http://127.0.0.1:{port}"})
    assert error.value.cause == "endpoint"
