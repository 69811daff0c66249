"""Session fixtures for the secret stores that run against real servers built by setup."""
import pytest

from integration.harness import gitea


@pytest.fixture(scope="session")
def gitea_server(tmp_path_factory):
    """A real Gitea on loopback, one per session (shared with tests/integration/api_keys)."""
    yield from gitea.session_server(tmp_path_factory)
