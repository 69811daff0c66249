"""The UI, search, image trust and events variables: a bad value, or a binary without the extension the
configuration turns on, fails before any change and names the variable. No zot is needed: these runs
stop in the role's argument validation, preflight checks or the binary check before the install."""
import os
import shutil
import subprocess

import pytest


GOOD = {"zot_htpasswd_users": [{"name": "admin", "password": "admin-Secret-1"}]}


# One case per kind of check the role wires in (argument spec, the config filter, the release variant);
# every other bad value of these variables is covered by tests/unit/plugins/filter/test_zot_config_extensions.py.
@pytest.mark.parametrize("overrides, expected", [
    ({"zot_ui_enabled": "sometimes"}, ["zot_ui_enabled", "bool"]),
    ({"zot_ui_enabled": True, "zot_search_enabled": False},
     ["zot_search_enabled: is false but zot_ui_enabled is true", "zot's UI needs the search extension"]),
    ({"zot_ui_enabled": True, "zot_search_cve_enabled": True,
      "zot_search_cve": {"db_repository": "https://ghcr.io/aquasecurity/trivy-db:2"}},
     ["zot_search_cve.db_repository: must be an OCI repository", "host[:port]/path"]),
    ({"zot_events_sinks": [{"type": "kafka", "address": "kafka://x"}]}, ["zot_events_sinks", "http, nats", "kafka"]),
    ({"zot_events_sinks": [{"type": "http", "address": "https://hooks.example.com",
                            "headers": {"Authorization": "Bearer inline-Secret"}}]},
     ["zot_events_sinks[0].headers: must not carry Authorization"]),
    ({"zot_variant": "minimal", "zot_ui_enabled": True},
     ["zot_ui_enabled (extensions.ui) needs zot's ui extension",
      "zot_variant=minimal (the release build without extensions) was built without it"]),
])
def test_bad_extension_input_fails_early_naming_the_variable(offline_host, overrides, expected):
    result = offline_host.run(**dict(GOOD, **overrides))
    assert result.rc != 0
    for text in expected:
        assert text in result.output, str(result)
    assert result.changed == 0
    assert not offline_host.root.exists()
    assert "admin-Secret-1" not in result.output and "inline-Secret" not in result.output


@pytest.fixture(scope="module")
def zot_without_ui(tmp_path_factory):
    """A Go program built with some of zot's extension tags but not ui/search: what a `go install` of
    zot with the old test tags is, as far as the role's binary check can tell (it reads Go's build
    information, never runs the binary)."""
    if shutil.which("go") is None:
        pytest.skip("needs the Go toolchain (scripts/setup-dev-env.sh installs it for the Gitea/Vault builds)")
    src = tmp_path_factory.mktemp("zot-without-ui")
    (src / "go.mod").write_text("module example.com/zot\n\ngo 1.21\n")
    (src / "main.go").write_text("package main\n\nfunc main() {}\n")
    built = subprocess.run(["go", "build", "-tags", "lint,metrics,mgmt,scrub,sync,userprefs", "-trimpath",
                            "-o", str(src / "zot"), "."], cwd=src, capture_output=True, text=True, timeout=300,
                           check=False, env=dict(os.environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local"))
    assert built.returncode == 0, built.stderr
    return src / "zot"


def test_a_binary_without_the_ui_fails_before_any_change(offline_host, zot_without_ui):
    result = offline_host.run(**dict(GOOD, zot_binary_local_path=str(zot_without_ui), zot_ui_enabled=True,
                                     zot_metrics_enabled=True))
    assert result.rc != 0
    assert (f"zot_search_enabled / zot_search_cve_enabled (extensions.search) needs zot's search extension, but "
            f"{zot_without_ui} was built without it (it has: lint, metrics, mgmt, scrub, sync, userprefs)") in result.output
    assert "zot_ui_enabled (extensions.ui) needs zot's ui extension" in result.output
    assert "metrics (extensions.metrics)" not in result.output  # the binary has that one
    assert "Nothing was changed." in result.output
    assert result.changed == 0 and not offline_host.root.exists()
