"""Session fixtures for the real services. Each heavy service starts once per session, on
loopback ports chosen at run time, and only what the harness started is stopped."""
import os
import secrets
from pathlib import Path

import pytest

from integration.harness import (
    ansible_cores, authentik, aws, background, browser, gitea, haproxy, hosts, keycloak, ldap, mirror, oci, redis,
    vault, zot,
)
from integration.harness.ansible import ansible_core_venv
from integration.harness.env import REPO, VERSIONS, require as _require, venv_bin


def pytest_generate_tests(metafunc):
    """A test marked ansible_range runs once per ansible-core release tested (harness/ansible_cores.py):
    its playbooks run with that release's ansible-playbook on the controller Python its venv has."""
    if metafunc.definition.get_closest_marker("ansible_range"):
        if "ansible_core" not in metafunc.fixturenames:
            metafunc.fixturenames.append("ansible_core")
        metafunc.parametrize("ansible_core", ansible_cores.ALL, indirect=True, ids=lambda v: f"core{v}")


def pytest_collection_modifyitems(config, items):
    """On an older ansible-core release an ansible_range test runs once, with its first set of other
    parameters (e.g. one authentik release, not each): the main release runs them all."""
    seen, keep, dropped = set(), [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and params.get("ansible_core", ansible_cores.MAIN) != ansible_cores.MAIN:
            key = (item.path, item.originalname, params["ansible_core"])
            if key in seen:
                dropped.append(item)
                continue
            seen.add(key)
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    # The tests that wait for a background job (below) run last: their jobs get the whole session.
    items.sort(key=lambda item: hasattr(getattr(item, "module", None), "background_jobs"))


_AUTHENTIK = {}


def pytest_collection_finish(session):
    """Start, as soon as the session knows it needs them: the CPU-only checks (sanity, lint, galaxy-importer,
    the older ansible-core releases' units: a test module lists them in ``background_jobs(item)``), niced
    in one background thread (harness/background.py), on the CPU the suite leaves idle while it waits on
    servers; and authentik, the slowest server to start (tens of seconds of Python imports)."""
    if session.config.option.collectonly:
        return
    jobs = []
    for item in session.items:
        jobs.extend(getattr(getattr(item, "module", None), "background_jobs", lambda _item: [])(item))
    background.start(jobs)
    if any("authentik_server" in getattr(item, "fixturenames", ()) for item in session.items):
        workdir = session.config._tmp_path_factory.mktemp("authentik")
        _AUTHENTIK["starter"] = authentik.Starter(workdir).begin()


def pytest_sessionfinish(session):
    background.stop_all()


@pytest.fixture
def ansible_core(request):
    """The ansible-core release of this run of an ansible_range test (its venv's plays in the block)."""
    version = request.param
    if version == ansible_cores.MAIN:
        yield version
        return
    with ansible_core_venv(ansible_cores.require_core_venv(version)):
        yield version


@pytest.fixture(scope="session")
def zot_bin(request):
    """Path to the zot binary; skips (or fails with ZOTOPS_REQUIRE_ZOT=1) with the exact reason. A test
    runs on each release the role supports with ``@pytest.mark.parametrize("zot_bin", zot.RELEASES,
    indirect=True)`` (the oldest release's build: same skip, same switch)."""
    return _require(zot.release_binary(getattr(request, "param", zot.CURRENT)))


@pytest.fixture(scope="session")
def zot_oldest_bin():
    """The oldest zot release the role supports (tests/versions.env ZOT_OLDEST_VERSION); skips (or fails
    with ZOTOPS_REQUIRE_ZOT=1) with the exact reason it is missing."""
    return _require(zot.release_binary(zot.OLDEST))


@pytest.fixture(scope="session")
def zot_ui_bin(zot_bin):
    """The zot binary, when it has the web UI and search (the release build); else skips (or fails
    with ZOTOPS_REQUIRE_ZOT=1) naming the missing extensions."""
    return _require(zot.with_extensions(zot_bin, "ui", "search"))


@pytest.fixture(scope="session")
def zot_search_bin(zot_bin):
    """The zot binary, when it has the search extension; else skips (or fails) with the reason."""
    return _require(zot.with_extensions(zot_bin, "search"))


@pytest.fixture
def zot_factory(zot_bin, tmp_path):
    """Start zot servers from config dicts; every one is stopped after the test."""
    servers = []

    def start(config, name="zot"):
        server = zot.ZotServer(zot_bin, config, tmp_path / f"{name}-{len(servers)}", name=name)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def htpasswd_file(tmp_path):
    def write(users, name="htpasswd"):
        return zot.write_htpasswd(tmp_path / name, users)
    return write


@pytest.fixture(scope="session")
def release_mirror(tmp_path_factory):
    current = _require(zot.release_binary(zot.CURRENT))
    served = mirror.ReleaseMirror(tmp_path_factory.mktemp("release-mirror"), VERSIONS["ZOT_VERSION"], current).start()
    oldest, _reason = zot.release_binary(zot.OLDEST)
    if oldest:  # the zot-range tests install it from here (base_url_for)
        served.add(zot.OLDEST, oldest)
    yield served
    served.stop()


@pytest.fixture(scope="session")
def oci_layout(tmp_path_factory):
    return tmp_path_factory.mktemp("oci-images")


@pytest.fixture(scope="session")
def oci_image(oci_layout):
    """`oci:<dir>:1.0`, a tiny one-layer image built locally."""
    return oci.build_image(oci_layout / "default", "1.0")


@pytest.fixture
def oci_image_factory(tmp_path):
    """Build another image; different content gives a different digest."""
    def build(tag="1.0", content=None):
        return oci.build_image(tmp_path / "oci", tag, content)
    return build


@pytest.fixture(scope="session")
def skopeo_copy():
    return oci.skopeo_copy


@pytest.fixture(scope="session")
def registry_upstream(tmp_path_factory, oci_image):
    """A second zot without auth, holding `library/hello:1`: the upstream of pull-through tests."""
    server = zot.ZotServer(_require(zot.release_binary(zot.CURRENT)), {}, tmp_path_factory.mktemp("upstream"), name="zot-upstream").start()
    pushed = oci.skopeo_copy(oci_image, f"docker://127.0.0.1:{server.port}/library/hello:1")
    assert pushed.returncode == 0, pushed.stderr
    yield server
    server.stop()


@pytest.fixture(scope="session")
def keycloak_server(tmp_path_factory):
    server = keycloak.Keycloak(tmp_path_factory.mktemp("keycloak"), secrets.token_urlsafe(16))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def authentik_server(tmp_path_factory):
    """The real authentik (tests/integration/harness/authentik.py), once per session; skips with the exact
    reason where it is not built (ZOTOPS_REQUIRE_AUTHENTIK=1 makes that a failure)."""
    starter = _AUTHENTIK.get("starter") or authentik.Starter(tmp_path_factory.mktemp("authentik"))
    _AUTHENTIK["starter"] = starter
    server, error = starter.result()
    if server is None:
        if os.environ.get("ZOTOPS_REQUIRE_AUTHENTIK") == "1":
            pytest.fail(error)
        pytest.skip(error)
    yield server
    if _AUTHENTIK.pop("starter", None) is not None:
        server.stop()


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory):
    server = ldap.LdapServer(tmp_path_factory.mktemp("slapd"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    server = aws.MotoServer(tmp_path_factory.mktemp("moto"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A password-protected redis-server: zot's shared cache, metadata and session store."""
    _require(redis.redis_server_binary())
    server = redis.RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def haproxy_factory(tmp_path_factory):
    """Start HAProxy in front of {name: port} replicas; every one is stopped at the end of the session."""
    _require(haproxy.haproxy_binary())
    started = []

    def start(servers):
        proxy = haproxy.HAProxy(tmp_path_factory.mktemp("haproxy"), servers)
        started.append(proxy)
        return proxy.start()

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture(scope="session")
def gitea_server(tmp_path_factory):
    """A real Gitea (the Actions-secrets API Forgejo shares) built by setup; skips with the exact
    reason when it could not be built."""
    binary, reason = gitea.gitea_binary()
    if binary is None:
        pytest.skip(reason)
    server = gitea.GiteaServer(binary, tmp_path_factory.mktemp("gitea"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def vault_server(tmp_path_factory):
    """HashiCorp Vault's core, KV v2 at secret/ and HTTP API (harness/vaultdev) built by setup, with
    a known root token; skips with the exact reason when it could not be built."""
    binary, reason = vault.vault_binary()
    if binary is None:
        pytest.skip(reason)
    server = vault.VaultDevServer(binary, tmp_path_factory.mktemp("vault"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        instance = browser.launch(playwright)
        yield instance
        instance.close()


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def systemd_path(tmp_path_factory):
    """A dir to put first on PATH so `systemctl` is docker-systemctl-replacement running real units."""
    path = tmp_path_factory.mktemp("systemd-bin")
    Path(path, "systemctl").symlink_to(venv_bin("systemctl3.py"))
    return path


@pytest.fixture(scope="session")
def repo_root():
    return REPO


TEST_HOSTS = 4  # the fleet tests' size; the server role's tests use the first two


@pytest.fixture(scope="session")
def test_hosts():
    """Debian hosts booted once per session with systemd-nspawn (harness/hosts.py), reached over SSH.
    Skips with the exact reason where they cannot be booted; ZOTOPS_REQUIRE_HOSTS=1 makes that a failure."""
    _image, _key, reason = hosts.host_support()
    if reason:
        if os.environ.get("ZOTOPS_REQUIRE_HOSTS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    fleet = hosts.HostFleet(TEST_HOSTS)
    try:
        yield fleet.boot()
    finally:
        fleet.shutdown()
