"""aws_endpoint: whether a DynamoDB endpoint zot's cache driver names answers."""
import socket

import pytest

from ansible_collections.zotops.zot.plugins.module_utils import aws_endpoint


def test_dynamodb_endpoint_that_does_not_answer_is_named_as_such():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(aws_endpoint.EndpointCheckError) as error:
        aws_endpoint.endpoint_status(f"http://127.0.0.1:{port}", service="DynamoDB")
    assert error.value.message.startswith(f"the DynamoDB endpoint http://127.0.0.1:{port} does not answer")
