"""The stdlib clients zot_config_check uses for shared stores (S3 HeadBucket, Redis PING) and the
HAProxy runtime API parser; each against what the real peer does."""
import datetime
import socket
import threading

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import haproxy, redis_client, s3_storage


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


def fake_redis(replies):
    """A one-connection RESP peer answering each command line from ``replies`` in turn."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    seen = []

    def serve():
        conn, _peer = server.accept()
        stream = conn.makefile("rb")
        for reply in replies:
            count = int(stream.readline()[1:])
            args = []
            for _arg in range(count):
                stream.readline()
                args.append(stream.readline().rstrip(b"\r\n").decode())
            seen.append(args)
            conn.sendall(reply)
        conn.close()
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], seen


def test_redis_ping_authenticates_with_the_urls_password_and_selects_the_database():
    port, seen = fake_redis([b"+OK\r\n", b"+PONG\r\n", b"+OK\r\n"])
    assert redis_client.ping(f"redis://:p%40ss@127.0.0.1:{port}/3") == "PONG"
    assert seen == [["AUTH", "p@ss"], ["PING"], ["SELECT", "3"]]


def test_redis_refused_password_is_redis_auth():
    port, _seen = fake_redis([b"-WRONGPASS invalid username-password pair\r\n"])
    with pytest.raises(redis_client.RedisCheckError) as error:
        redis_client.ping(f"redis://:bad@127.0.0.1:{port}/0")
    assert error.value.cause == "redis_auth" and "bad" not in error.value.message


def test_describe_hides_the_password():
    assert redis_client.describe("redis://:secret@redis:6379/0") == "redis://redis:6379"


@pytest.mark.parametrize("status,state,done", [
    ({"status": "UP", "scur": "0", "qcur": "0"}, "ready", True),
    ({"status": "UP 1/2", "scur": "0", "qcur": "0"}, "ready", False),
    ({"status": "DRAIN", "scur": "2", "qcur": "0"}, "drain", False),
    ({"status": "DRAIN", "scur": "0", "qcur": "0"}, "drain", True),
    ({"status": "MAINT", "scur": "0", "qcur": "0"}, "maint", True),
])
def test_haproxy_settled(status, state, done):
    assert haproxy.settled(status, state) is done


def test_haproxy_current_state():
    assert haproxy.current_state({"status": "MAINT"}) == "maint"
    assert haproxy.current_state({"status": "DRAIN"}) == "drain"
    assert haproxy.current_state({"status": "DOWN"}) == "ready"


def test_dynamodb_endpoint_that_does_not_answer_is_named_as_such():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(s3_storage.BucketCheckError) as error:
        s3_storage.endpoint_status(f"http://127.0.0.1:{port}", service="DynamoDB")
    assert error.value.message.startswith(f"the DynamoDB endpoint http://127.0.0.1:{port} does not answer")
