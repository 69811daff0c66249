"""playbooks/rotate_api_key.yml as a scheduler runs it: the current key, read from its file, makes its
successor into that file and the other stores given."""
import requests

from .ansible import run_playbook
from .env import REPO

ROTATE = REPO / "playbooks" / "rotate_api_key.yml"


def scheduled_rotation(zot_url, user, key, tmp_path, stores=()):
    """Rotate ``user``'s ``key`` (zot_apikey_state: rotated, with the push test) into a 0600 key file and
    ``stores``, -vvv --diff. Returns (the play's result, the new key); the old key no longer signs in."""
    key_file = tmp_path / "ci.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    rotated = run_playbook(ROTATE, verbosity=3, diff=True, extra_vars={
        "zot_apikey_url": zot_url, "zot_apikey_user": user, "zot_apikey_current_key_file": str(key_file),
        "zot_apikey_state": "rotated", "zot_apikey_test_push_repository": "ci/rotation-probe",
        "zot_apikey_stores": [{"type": "file", "path": str(key_file)}, *stores],
        "zot_apikey_journal_path": str(tmp_path / "journal")})
    assert rotated.rc == 0, rotated
    new = key_file.read_text().strip()
    assert new.startswith("zak_") and new != key
    assert requests.get(f"{zot_url}/v2/", auth=(user, key), timeout=10).status_code == 401
    return rotated, new
