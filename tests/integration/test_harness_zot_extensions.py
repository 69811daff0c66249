"""The harness reads which extensions a zot binary has, and a test that needs the UI or search skips
with the exact reason on a binary without them (fails instead with ZOTOPS_REQUIRE_ZOT=1)."""
import json

import pytest

from integration.harness import zot
from integration.harness.env import VERSIONS, require

OLD_TEST_BUILD = "-lint-metrics-mgmt-scrub-sync-userprefs"


@pytest.fixture
def six_extension_zot(tmp_path):
    """A stand-in whose `--version` answers like zot built with the six extensions our tests once had."""
    binary = tmp_path / "zot"
    line = json.dumps({"level": "info", "distribution-spec": "1.1.1", "commit": "v2.1.20",
                       "binary-type": OLD_TEST_BUILD, "go version": "go1.26.3", "message": "version"})
    binary.write_text(f"#!/bin/sh\necho '{line}'\n")
    binary.chmod(0o755)
    return str(binary)


def test_a_binary_without_the_ui_skips_with_the_reason(six_extension_zot, monkeypatch):
    found, source = zot.zot_extensions(six_extension_zot)
    assert found == ["lint", "metrics", "mgmt", "scrub", "sync", "userprefs"] and source == "zot --version"
    assert zot.with_extensions(six_extension_zot, "sync") == (six_extension_zot, None)
    path, reason = zot.with_extensions(six_extension_zot, "ui", "search")
    assert path is None
    assert reason.startswith(f"zot at {six_extension_zot} was built without the ui, search extensions this test "
                             "needs (it has: lint, metrics, mgmt, scrub, sync, userprefs; read from zot --version)")
    assert VERSIONS["ZOT_RELEASE_EXTENSIONS"] in reason
    monkeypatch.delenv("ZOTOPS_REQUIRE_ZOT", raising=False)
    with pytest.raises(pytest.skip.Exception, match="built without the ui, search extensions"):
        require((path, reason))
    monkeypatch.setenv("ZOTOPS_REQUIRE_ZOT", "1")
    with pytest.raises(pytest.fail.Exception, match="built without the ui, search extensions"):
        require((path, reason))


def test_the_test_zot_is_the_release_build(zot_ui_bin):
    """Every extension of zot's release build is in the binary the tests run (read as the harness reads it)."""
    found, _source = zot.zot_extensions(zot_ui_bin)
    assert set(VERSIONS["ZOT_RELEASE_EXTENSIONS"].split(",")) <= set(found)
