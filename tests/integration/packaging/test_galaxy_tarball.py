"""The Galaxy tarball users install: built from the checkout, with nothing of ours in it that
belongs to a developer's machine (virtualenvs, test output, caches)."""
import tarfile


def test_tarball_holds_the_collection_and_no_developer_state(collection_tarball):
    with tarfile.open(collection_tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names and "meta/runtime.yml" in names
    assert any(name.startswith("plugins/") for name in names)
    unwanted = [name for name in names
                if name.split("/")[0] in {".venv", ".git", ".ci", "ansible_collections"}
                or name.startswith("tests/output") or "__pycache__" in name or ".pytest_cache" in name
                or name.endswith((".pyc", ".tar.gz"))]
    assert unwanted == []
