"""authentik, built beside the project from its source (README: authentik on this machine).

One server per test session on loopback: Debian's PostgreSQL (a private cluster), authentik's Python
core under gunicorn (as its Go server would run it) and, in front of it, ``authentik_front.py`` serving
the web UI's files the way authentik's Go server does (its Go module host is not on the module proxy).
Migrations and the default blueprints (flows, the self-signed key, the managed scope mappings; what
authentik's worker applies at first start) run once per authentik version, into a database cluster cached
beside the install;
every session starts from a copy of it and applies only the bootstrap blueprint (admin password and
API token) with a session's own random values, as authentik's worker does at start.
"""
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

from .env import CACHE, VERSIONS, setting
from .process import ManagedProcess, ServiceError, free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
ADMIN_USER = "akadmin"
ADMIN_EMAIL = "akadmin@example.test"
# What the blueprints the worker applies leave behind, read to decide the cached cluster is complete.
_BLUEPRINT_OBJECTS = {
    "authentik_flows_flow": "slug = 'default-provider-authorization-implicit-consent'",
    "authentik_crypto_certificatekeypair": "name = 'authentik Self-signed Certificate'",
    "authentik_core_propertymapping": "managed = 'goauthentik.io/providers/oauth2/scope-openid'",
}


def authentik_home():
    """(install dir, None) when an authentik build is at ZOTOPS_AUTHENTIK_HOME (or the cache path setup
    detects), else (None, the exact reason)."""
    version = VERSIONS.get("AUTHENTIK_VERSION", "")
    home = setting("ZOTOPS_AUTHENTIK_HOME") or str(CACHE / f"authentik-{version}")
    checks = [
        (Path(home, "src", "manage.py"), "authentik's source"),
        (Path(home, "venv", "bin", "gunicorn"), "its virtualenv"),
        (PG_BIN / "postgres", "Debian's postgresql-15 (scripts/setup-dev-env.sh installs it)"),
    ]
    for path, what in checks:
        if not path.exists():
            return None, (f"authentik {version} is not available on this machine: no {what} at {path} "
                          f"(build it beside the project from its source and give its directory as "
                          f"ZOTOPS_AUTHENTIK_HOME; README: authentik on this machine)")
    found = Path(home, "VERSION").read_text().strip() if Path(home, "VERSION").exists() else "unknown"
    if found != version:
        return None, f"authentik at {home} is release {found}, the tests need {version} (tests/versions.env)"
    return home, None


def _postgres_dir(prefix):
    """A directory PostgreSQL's user can reach (pytest's and root's own directories are 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def _as_postgres(argv):
    """PostgreSQL refuses to run as root: run its programs as Debian's postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + [str(a) for a in argv]
    return [str(a) for a in argv]


class _Postgres:
    """A private cluster in ``data`` on a loopback port, trusting local connections."""

    def __init__(self, data, port, log_dir):
        self.data = Path(data)
        self.port = port
        self.process = ManagedProcess("postgres", _as_postgres([
            PG_BIN / "postgres", "-D", self.data, "-p", port, "-h", "127.0.0.1", "-k", self.data,
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]), log_dir)

    @staticmethod
    def init(data):
        data = Path(data)
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        subprocess.run(_as_postgres([PG_BIN / "initdb", "-D", data, "-U", "authentik", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True, text=True)

    def start(self, timeout=60):
        self.process.start()
        self.process.wait_until(lambda: self.sql("select 1") == "1", timeout, "PostgreSQL accepting connections")
        return self

    def sql(self, query, database="postgres"):
        proc = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "authentik", "-d", database,
                               "-tAc", query], capture_output=True, text=True, check=False, timeout=30)
        if proc.returncode != 0:
            raise OSError(proc.stderr.strip())
        return proc.stdout.strip()

    def stop(self):
        self.process.stop(timeout=30)


class AuthentikServer:
    admin_user = ADMIN_USER

    def __init__(self, home, workdir):
        self.home = Path(home)
        self.src = self.home / "src"
        self.version = VERSIONS.get("AUTHENTIK_VERSION", "")
        self.workdir = Path(workdir)
        self.token = secrets.token_urlsafe(32)
        self.admin_password = "Ak-" + secrets.token_urlsafe(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = []
        self.seconds = {}

    # -- environment --------------------------------------------------------------------------------------
    def _env(self, pg_port, workdir):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHENTIK_")}
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        (workdir / "prometheus").mkdir(parents=True, exist_ok=True)
        (workdir / "certs").mkdir(parents=True, exist_ok=True)
        env.update({
            "PATH": f"{self.home / 'venv' / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
            "VIRTUAL_ENV": str(self.home / "venv"),
            "TMPDIR": str(workdir / "tmp"),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
            "AUTHENTIK_SECRET_KEY": self._secret_key(),
            "AUTHENTIK_POSTGRESQL__HOST": "127.0.0.1",
            "AUTHENTIK_POSTGRESQL__PORT": str(pg_port),
            "AUTHENTIK_POSTGRESQL__USER": "authentik",
            "AUTHENTIK_POSTGRESQL__NAME": "authentik",
            "AUTHENTIK_POSTGRESQL__PASSWORD": "",
            "AUTHENTIK_BLUEPRINTS_DIR": str(self.src / "blueprints"),
            "AUTHENTIK_CERT_DISCOVERY_DIR": str(workdir / "certs"),
            "AUTHENTIK_STORAGE__FILE__PATH": str(workdir / "data"),
            "AUTHENTIK_EMAIL__TEMPLATE_DIR": str(workdir / "templates"),
            "AUTHENTIK_EVENTS__CONTEXT_PROCESSORS__GEOIP": "",
            "AUTHENTIK_EVENTS__CONTEXT_PROCESSORS__ASN": "",
            "AUTHENTIK_DISABLE_STARTUP_ANALYTICS": "true",
            "AUTHENTIK_DISABLE_UPDATE_CHECK": "true",
            "AUTHENTIK_ERROR_REPORTING__ENABLED": "false",
            "AUTHENTIK_OUTPOSTS__DISCOVER": "false",
            "AUTHENTIK_LOG_LEVEL": "warning",
            # Two cores shared with the rest of the suite: one web worker.
            "AUTHENTIK_WEB__WORKERS": "1",
            "AUTHENTIK_WEB__THREADS": "4",
            "AUTHENTIK_BOOTSTRAP_PASSWORD": self.admin_password,
            "AUTHENTIK_BOOTSTRAP_TOKEN": self.token,
            "AUTHENTIK_BOOTSTRAP_EMAIL": ADMIN_EMAIL,
        })
        return env

    def _secret_key(self):
        """One key per install: what the cached cluster was made with stays valid for its copies."""
        path = self.home / "harness-secret-key"
        if not path.exists():
            tmp = path.with_name(f"{path.name}.{os.getpid()}")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.rename(path)
        return path.read_text().strip()

    def _python(self, *args):
        return [str(self.home / "venv" / "bin" / "python"), *args]

    # -- the migrated, blueprinted cluster (once per version) ------------------------------------------------
    def _template(self):
        """The cached cluster: migrations run and the default blueprints applied by the worker."""
        template = self.home / f"harness-pgdata-{self.version}"
        if (template / ".complete").exists():
            return template
        lock = self.home / "harness-pgdata.lock"
        import fcntl
        with open(lock, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another session may be making it right now
            if (template / ".complete").exists():
                return template
            started = time.monotonic()
            build = self.workdir / "template"
            build.mkdir(parents=True, exist_ok=True)
            pg_dir = _postgres_dir("zotops-authentik-template-")
            data = pg_dir / "pgdata"
            _Postgres.init(data)
            pg = _Postgres(data, free_port(), build).start()
            try:
                env = {k: v for k, v in self._env(pg.port, build).items() if not k.startswith("AUTHENTIK_BOOTSTRAP_")}
                pg.sql("create database authentik")
                migrate = subprocess.run(self._python("-m", "lifecycle.migrate"), cwd=self.src, env=env,
                                         capture_output=True, text=True, check=False, timeout=900)
                if migrate.returncode != 0:
                    raise ServiceError(f"authentik's migrations failed:\n{migrate.stdout[-3000:]}{migrate.stderr[-3000:]}")
                # The default blueprints (flows, the self-signed key, the managed scope mappings), applied
                # with authentik's own command: what its worker applies at first start, without waiting
                # for the worker's discovery and scheduler (the system ones first, as the worker orders them).
                blueprints = self.src / "blueprints"
                files = ([str(p.relative_to(blueprints)) for p in sorted((blueprints / "system").glob("*.yaml"))]
                         + [str(p.relative_to(blueprints)) for p in sorted((blueprints / "default").glob("*.yaml"))])
                applied = subprocess.run(self._python("-m", "manage", "apply_blueprint", *files), cwd=self.src,
                                         env=env, capture_output=True, text=True, check=False, timeout=900)
                if applied.returncode != 0 or not self._blueprints_applied(pg):
                    raise ServiceError(f"authentik's default blueprints did not apply:\n{applied.stdout[-3000:]}"
                                       f"{applied.stderr[-3000:]}")
            finally:
                pg.stop()
            shutil.rmtree(template, ignore_errors=True)
            shutil.copytree(data, template, symlinks=True)
            shutil.rmtree(pg_dir, ignore_errors=True)
            (template / "postmaster.pid").unlink(missing_ok=True)
            (template / ".complete").touch()
            self.seconds["template"] = round(time.monotonic() - started, 1)
            return template

    @staticmethod
    def _blueprints_applied(pg):
        for table, where in _BLUEPRINT_OBJECTS.items():
            if pg.sql(f"select count(*) from {table} where {where}", "authentik") != "1":
                return False
        return True

    # -- one session's server ----------------------------------------------------------------------------------
    def start(self, timeout=600):
        started = time.monotonic()
        template = self._template()
        self.pg_dir = _postgres_dir("zotops-authentik-pg-")
        data = self.pg_dir / "pgdata"
        shutil.copytree(template, data, symlinks=True)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(data)], check=True)
        data.chmod(0o700)
        self.pg = _Postgres(data, free_port(), self.workdir).start()
        self.processes.append(self.pg)
        env = self._env(self.pg.port, self.workdir)
        # As authentik's worker does at start when bootstrap settings are given: the bootstrap blueprint,
        # here with this session's random token. Its entries are "state: created", so the token the
        # cached cluster may hold goes first; the admin exists there already, so its password is set
        # through the API with that token below.
        self.pg.sql("delete from authentik_core_token where identifier = 'authentik-bootstrap-token'", "authentik")
        bootstrap = subprocess.Popen(self._python("-m", "manage", "apply_blueprint", "system/bootstrap.yaml"),
                                     cwd=self.src, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        core_port = free_port()
        core = ManagedProcess("authentik-core", [
            self.home / "venv" / "bin" / "gunicorn", "-c", "./lifecycle/gunicorn.conf.py",
            "--bind", f"127.0.0.1:{core_port}", "authentik.root.asgi:application"], self.workdir, env=env, cwd=self.src)
        self.processes.append(core.start())
        front = ManagedProcess("authentik-front", [
            self.home / "venv" / "bin" / "python", Path(__file__).with_name("authentik_front.py"),
            "--listen", str(self.port), "--backend", str(core_port), "--web", self.src / "web"],
            self.workdir, env=env)
        self.processes.append(front.start())
        out, _err = bootstrap.communicate(timeout=timeout)
        if bootstrap.returncode != 0:
            self.stop()
            raise ServiceError(f"authentik's bootstrap blueprint failed:\n{out[-3000:]}")
        try:
            core.wait_http(f"{self.url}/-/health/ready/", timeout=timeout)
            front.wait_until(lambda: self.api("GET", "/core/users/me/").status_code == 200, 60,
                             "the bootstrap token accepted")
            me = self.api("GET", "/core/users/me/").json()["user"]
            answer = self.api("POST", f"/core/users/{me['pk']}/set_password/", json={"password": self.admin_password})
            if answer.status_code != 204:
                raise ServiceError(f"setting {ADMIN_USER}'s password answered HTTP {answer.status_code}: {answer.text}")
        except ServiceError:
            self.stop()
            raise
        self.seconds["start"] = round(time.monotonic() - started, 1)
        return self

    def stop(self):
        for process in reversed(self.processes):
            process.stop()
        self.processes = []
        if getattr(self, "pg_dir", None):
            shutil.rmtree(self.pg_dir, ignore_errors=True)

    def log_tail(self, lines=60):
        return "\n".join(p.process.log_tail(lines) if isinstance(p, _Postgres) else p.log_tail(lines)
                         for p in self.processes)

    # -- the API -----------------------------------------------------------------------------------------------
    def api(self, method, path, token=None, **kwargs):
        """One API call below /api/v3 with the bootstrap token (no raise: tests look at the status)."""
        return requests.request(method, f"{self.url}/api/v3{path}", timeout=60,
                                headers={"Authorization": f"Bearer {token or self.token}"}, **kwargs)

    def objects(self, path, **params):
        """Every object of a list endpoint, all pages."""
        found, page = [], 1
        while page:
            answer = self.api("GET", path, params=dict(params, page=page, page_size=100))
            answer.raise_for_status()
            body = answer.json()
            found += body["results"]
            page = body["pagination"]["next"] or 0
        return found

    def web_ui_missing(self):
        """None when the web UI (the login pages a browser needs) is built, else the exact reason."""
        dist = self.src / "web" / "dist"
        if (dist / ".done").exists() or (dist / "flow").exists():
            return None
        return (f"authentik {self.version} at {self.home} has no built web UI (no {dist}): the browser "
                f"login needs it (README: authentik on this machine)")

    def password_login(self, username, password, flow="default-authentication-flow"):
        """True when authentik's own login (its flow executor: identification, password, MFA skipped
        when none is set up) signs the user in; False when a stage refuses."""
        session = requests.Session()
        url = f"{self.url}/api/v3/flows/executor/{flow}/?query="
        challenge = session.get(url, timeout=60).json()
        for _attempt in range(8):
            component = challenge.get("component")
            if component == "xak-flow-redirect":
                return True
            if challenge.get("response_errors"):
                return False
            if component == "ak-stage-identification":
                answer = {"component": component, "uid_field": username}
                if challenge.get("password_fields"):
                    answer["password"] = password
            elif component == "ak-stage-password":
                answer = {"component": component, "password": password}
            else:
                return False
            challenge = session.post(url, json=answer, timeout=60).json()
        return False

    def sql(self, query):
        """A read of authentik's own database (to see what the API does not show)."""
        return self.pg.sql(query, "authentik")


class Starter:
    """Starts the server in a thread as soon as a session knows it will need it; the fixture joins it."""

    def __init__(self, workdir):
        self.server = None
        self.error = None
        self.workdir = workdir
        self.thread = None

    def begin(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="authentik-start", daemon=True)
            self.thread.start()
        return self

    def _run(self):
        home, reason = authentik_home()
        if home is None:
            self.error = reason
            return
        try:
            self.server = AuthentikServer(home, self.workdir).start()
        except Exception as exc:  # reported by the fixture that waits for it
            self.error = f"authentik {VERSIONS.get('AUTHENTIK_VERSION')} did not start: {exc}"

    def result(self):
        self.begin().thread.join()
        return self.server, self.error
