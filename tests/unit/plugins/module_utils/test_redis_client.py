"""redis_client: the PING zot_config_check sends to a Redis cache or session driver, against a peer
that answers as Redis does."""
import socket
import threading

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import redis_client


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
