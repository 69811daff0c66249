"""The UI, search (CVE off by default), image trust and events variables -> zot's extensions, and the
check that the zot binary has the extensions the config turns on (read from the binary itself)."""
import shutil
import subprocess

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.zotops.zot.plugins.filter.zot_config import (
    zot_binary_extensions, zot_config, zot_extension_problems)
from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_extensions, missing_extensions
from ansible_collections.zotops.zot.plugins.module_utils.zot_config_paths import read_files


def config(**overrides):
    base = {"zot_config_dir": "/etc/zot", "zot_data_dir": "/var/lib/zot"}
    base.update(overrides)
    return zot_config(base)


def test_nothing_by_default():
    assert "extensions" not in config()


def test_ui_turns_search_on_and_cve_stays_off():
    assert config(zot_ui_enabled=True)["extensions"] == {"search": {"enable": True}, "ui": {"enable": True}}
    assert config(zot_search_enabled=True)["extensions"] == {"search": {"enable": True}}
    assert config(zot_ui_enabled=True, zot_search_enabled=None)["extensions"]["search"] == {"enable": True}


def test_cve_scanning_pointed_at_a_reachable_database():
    extensions = config(zot_search_enabled=True, zot_search_cve_enabled=True, zot_search_cve={
        "update_interval": "6h", "db_repository": "zot.example.com:5000/ghcr.io/aquasecurity/trivy-db",
        "java_db_repository": "zot.example.com/ghcr.io/aquasecurity/trivy-java-db",
        "vuln_severity_sources": ["nvd"]})["extensions"]
    assert extensions["search"] == {"enable": True, "cve": {"updateInterval": "6h", "trivy": {
        "dbRepository": "zot.example.com:5000/ghcr.io/aquasecurity/trivy-db",
        "javaDBRepository": "zot.example.com/ghcr.io/aquasecurity/trivy-java-db", "vulnSeveritySources": ["nvd"]}}}
    assert config(zot_ui_enabled=True, zot_search_cve_enabled=True)["extensions"]["search"] == {
        "enable": True, "cve": {"updateInterval": "24h"}}


def test_trust_and_events():
    extensions = config(zot_image_trust_cosign=True, zot_events_sinks=[
        {"type": "http", "address": "https://hooks.example.com/zot", "timeout": "5s", "headers": {"X-Team": "ops"}},
        {"type": "nats", "address": "nats://nats.example.com:4222", "channel": "zot",
         "credentials_file": "/etc/zot/nats.creds", "ca_cert_file": "/etc/zot/nats-ca.pem"}])["extensions"]
    assert extensions["trust"] == {"enable": True, "cosign": True, "notation": False}
    assert extensions["events"] == {"enable": True, "sinks": [
        {"type": "http", "address": "https://hooks.example.com/zot", "timeout": "5s", "headers": {"X-Team": "ops"}},
        {"type": "nats", "address": "nats://nats.example.com:4222", "channel": "zot",
         "credentials": {"file": "/etc/zot/nats.creds"}, "tlsConfig": {"caCertFile": "/etc/zot/nats-ca.pem"}}]}
    files = [key for key, _path in read_files({"extensions": extensions})]
    assert files == ["extensions.events.sinks[1].credentials.file", "extensions.events.sinks[1].tlsConfig.caCertFile"]


@pytest.mark.parametrize("overrides, expected", [
    ({"zot_ui_enabled": True, "zot_search_enabled": False}, ["zot_search_enabled", "zot_ui_enabled is true"]),
    ({"zot_ui_enabled": "yes"}, ["zot_ui_enabled", "true or false"]),
    ({"zot_search_cve_enabled": True}, ["zot_search_cve_enabled", "needs the search extension"]),
    ({"zot_search_enabled": True, "zot_search_cve": {"db_repository": "x/y"}},
     ["zot_search_cve", "zot_search_cve_enabled is false"]),
    ({"zot_search_enabled": True, "zot_search_cve_enabled": True, "zot_search_cve": {"update_interval": "1h"}},
     ["zot_search_cve.update_interval", "at least 2h"]),
    ({"zot_search_enabled": True, "zot_search_cve_enabled": True,
      "zot_search_cve": {"db_repository": "https://ghcr.io/aquasecurity/trivy-db:2"}},
     ["zot_search_cve.db_repository", "host[:port]/path"]),
    ({"zot_search_enabled": True, "zot_search_cve_enabled": True, "zot_search_cve": {"db": "x"}},
     ["zot_search_cve", "unknown keys db", "db_repository"]),
    ({"zot_search_enabled": True, "zot_search_cve_enabled": True,
      "zot_storage_s3": {"bucket": "b", "region": "r"}}, ["zot_search_cve_enabled", "zot_storage_s3"]),
    ({"zot_image_trust_cosign": "on"}, ["zot_image_trust_cosign", "true or false"]),
    ({"zot_events_sinks": [{"type": "kafka", "address": "x"}]}, ["zot_events_sinks[0].type", "http, nats"]),
    ({"zot_events_sinks": [{"type": "http", "address": "nats://x"}]}, ["zot_events_sinks[0].address", "http://"]),
    ({"zot_events_sinks": [{"type": "nats", "address": "nats://x:4222"}]}, ["zot_events_sinks[0].channel"]),
    ({"zot_events_sinks": [{"type": "http", "address": "http://x", "token": "t0ken"}]},
     ["zot_events_sinks[0]", "unknown keys token", "reads sink usernames, passwords and tokens"]),
    ({"zot_events_sinks": [{"type": "http", "address": "http://x", "headers": {"Authorization": "Bearer t"}}]},
     ["zot_events_sinks[0].headers", "Authorization"]),
])
def test_bad_values_name_the_variable(overrides, expected):
    with pytest.raises(AnsibleFilterError) as error:
        config(**overrides)
    for text in expected:
        assert text in str(error.value)
    assert "t0ken" not in str(error.value)


def test_problems_name_the_role_variable():
    ui = config(zot_ui_enabled=True, zot_metrics_enabled=True)
    assert missing_extensions(ui, ["metrics", "search", "sync"]) == [("extensions.ui", "ui")]
    problems = zot_extension_problems(ui, ["metrics", "sync"], binary="/usr/local/bin/zot")
    assert len(problems) == 2
    assert problems[0].startswith("zot_search_enabled / zot_search_cve_enabled (extensions.search) needs zot's "
                                  "search extension, but /usr/local/bin/zot was built without it (it has: metrics, sync)")
    assert problems[1].startswith("zot_ui_enabled (extensions.ui) needs zot's ui extension")
    assert zot_extension_problems(ui, None) == []
    # A disabled extension, as zot_config_extra may leave it, needs nothing.
    assert missing_extensions({"extensions": {"search": {"enable": False}}}, []) == []


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain to build a small Go binary")
def test_extensions_read_from_go_build_information(tmp_path):
    (tmp_path / "go.mod").write_text("module example.com/tags\n\ngo 1.21\n")
    (tmp_path / "main.go").write_text("package main\n\nfunc main() {}\n")
    binary = tmp_path / "zot"
    built = subprocess.run(["go", "build", "-tags", "sync,search,ui", "-trimpath", "-ldflags", "-s -w",
                            "-o", str(binary), "."], cwd=tmp_path, capture_output=True, text=True, check=False,
                           env=dict(__import__("os").environ, GOFLAGS="-mod=mod", GOTOOLCHAIN="local"))
    assert built.returncode == 0, built.stderr
    assert zot_binary_extensions(str(binary)) == {"extensions": ["search", "sync", "ui"],
                                                  "source": "Go build information (-tags)"}
    # `--version` of a binary without zot's -ldflags names nothing: the build information answers.
    assert binary_extensions(str(binary), run_command=lambda argv: (0, ""))[0] == ["search", "sync", "ui"]


def test_a_file_that_is_no_go_binary(tmp_path):
    script = tmp_path / "zot"
    script.write_text("#!/bin/sh\n")
    found = zot_binary_extensions(str(script))
    assert found["extensions"] is None and "not a Go binary" in found["source"]
