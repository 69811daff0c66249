import subprocess

import pytest

from integration.harness.env import REPO, venv_bin


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory):
    """The Galaxy tarball, built from this checkout as a release would be."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([venv_bin("ansible-galaxy"), "collection", "build", "--output-path", str(out), str(REPO)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    (tarball,) = out.glob("zotops-zot-*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def installed_collection(collection_tarball, tmp_path_factory):
    """An empty collections dir into which the tarball is installed with ansible-galaxy."""
    target = tmp_path_factory.mktemp("installed-collections")
    installed = subprocess.run([venv_bin("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(target),
                                str(collection_tarball)], capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return target
