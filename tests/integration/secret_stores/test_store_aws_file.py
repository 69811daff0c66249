"""secret_store_value against moto's real AWS Secrets Manager endpoint and a local file, run as a
user runs it: ansible-playbook, with -vvv and --diff, grepping the output for the secret."""
import json
import os
import secrets
from pathlib import Path

import pytest

from integration.harness.ansible import run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "store_value.yml"


def play(moto_server, tmp_path, value, secret_id, **kw):
    extra = {"secret_value": value, "aws_secret_id": secret_id, "aws_region": moto_server.region,
             "aws_endpoint_url": moto_server.endpoint_url, "aws_access_key": moto_server.access_key,
             "aws_secret_key": moto_server.secret_key, "file_path": str(tmp_path / "zot-ci-key")}
    extra.update(kw.pop("extra", {}))
    return run_playbook(PLAYBOOK, extra_vars=extra, **kw)


@pytest.mark.ansible_range
def test_value_stored_idempotent_and_never_shown(moto_server, tmp_path):
    value = "zak_" + secrets.token_hex(20)
    secret_id = "zotops/ci-" + secrets.token_hex(4)
    first = play(moto_server, tmp_path, value, secret_id, verbosity=3, diff=True)
    assert first.rc == 0, first
    assert first.changed == 1
    sm = moto_server.client()
    assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == value
    path = tmp_path / "zot-ci-key"
    assert path.read_text() == value + "\n" and os.stat(path).st_mode & 0o777 == 0o600
    assert value not in first.output

    versions_before = len(sm.list_secret_version_ids(SecretId=secret_id)["Versions"])
    again = play(moto_server, tmp_path, value, secret_id, verbosity=3, diff=True)
    assert again.rc == 0, again
    assert again.changed == 0, again
    assert len(sm.list_secret_version_ids(SecretId=secret_id)["Versions"]) == versions_before, "a no-op wrote"
    assert value not in again.output

    newer = "zak_" + secrets.token_hex(20)
    checked = play(moto_server, tmp_path, newer, secret_id, check=True, diff=True, verbosity=3)
    assert checked.rc == 0, checked
    assert checked.changed == 1
    assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == value, "check mode wrote"
    assert path.read_text() == value + "\n"
    assert newer not in checked.output and value not in checked.output


def test_json_key_keeps_the_other_keys(moto_server, tmp_path):
    sm = moto_server.client()
    secret_id = "zotops/json-" + secrets.token_hex(4)
    sm.create_secret(Name=secret_id, SecretString=json.dumps({"username": "zot-ci", "password": "old"}))
    value = "zak_" + secrets.token_hex(20)
    result = play(moto_server, tmp_path, value, secret_id, extra={"aws_json_key": "password"}, diff=True, verbosity=3)
    assert result.rc == 0, result
    assert json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"]) == {"username": "zot-ci", "password": value}
    assert value not in result.output


def test_unreachable_endpoint_names_the_store(tmp_path):
    class Nowhere:
        region, access_key, secret_key = "us-east-1", "testing", "testing"
        endpoint_url = "http://127.0.0.1:9"
    value = "zak_" + secrets.token_hex(20)
    result = play(Nowhere, tmp_path, value, "zotops/x", verbosity=3)
    assert result.rc != 0
    assert "aws_secretsmanager:zotops/x" in result.output
    assert value not in result.output
