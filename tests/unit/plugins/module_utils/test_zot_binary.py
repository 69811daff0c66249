"""zot_binary: which extensions a zot binary has, as `zot --version` names them. (Reading Go's build
information is tested with a real Go binary in tests/unit/plugins/filter/test_zot_config_extensions.py.)"""
import json

from ansible_collections.zotops.zot.plugins.module_utils.zot_binary import binary_type_extensions


def test_binary_type_from_zot_version():
    line = json.dumps({"level": "info", "distribution-spec": "1.1.1", "commit": "v2.1.20-0-gabc",
                       "binary-type": "-events-imagetrust-lint-metrics-mgmt-profile-scrub-search-sync-ui-userprefs",
                       "go version": "go1.26.3", "message": "version"})
    assert binary_type_extensions("noise\n" + line) == [
        "events", "imagetrust", "lint", "metrics", "mgmt", "profile", "scrub", "search", "sync", "ui", "userprefs"]
    assert binary_type_extensions(json.dumps({"binary-type": "minimal"})) == []
    assert binary_type_extensions(json.dumps({"binary-type": ""})) is None
