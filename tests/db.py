"""Databases for tests: a SQLite file, and a throwaway PostgreSQL cluster started for the run.

``db_url`` runs a test once on each: a SQLite file in the test's folder, and a fresh
database in a cluster this module starts with ``initdb`` + ``pg_ctl`` (Debian's
``postgresql`` package: ``apt-get install postgresql``) on 127.0.0.1, a free port and a
temporary folder, stopped and removed at the end of the session. No system service is used.
As root (CI), the server runs as the ``postgres`` user, as initdb refuses root.

Without PostgreSQL installed, the PostgreSQL cases skip and say so; in CI (``CI=true``)
they fail instead, so a missing package never passes unnoticed.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
# The server's own zone is deliberately not UTC: the app must store UTC whatever it is
# (smsform.database sets each session's zone), and a test that forgets shows up here.
SERVER_TIMEZONE = "Asia/Seoul"
# A throwaway cluster needs no durability: no flushes at all.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "timezone": SERVER_TIMEZONE,
}
START_ATTEMPTS = 3


def in_ci() -> bool:
    """True when running in CI, where a missing PostgreSQL is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in path.parent.parent.name.split(".") if p.isdigit())


def find_bindir() -> Path | None:
    """The newest PostgreSQL server's bin folder (Debian's layout, else ``initdb`` on PATH)."""
    candidates = sorted(DEBIAN_PG_ROOT.glob("*/bin/pg_ctl"), key=_version_key)
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running throwaway cluster: superuser ``postgres``, trust auth, 127.0.0.1 only."""

    bindir: Path
    datadir: Path
    port: int
    run_as: str | None  # the system user the server runs as (root cannot run it)
    _names = itertools.count(1)

    def url(self, database: str = "postgres") -> str:
        """The app's ``DATABASE_URL`` for ``database`` in this cluster."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120,
                              check=False)

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER,
                             dbname="postgres", autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self) -> str:
        """A new empty database (copied from ``template0``, UTF-8); its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending the connections that apps of a finished test still hold."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def log(self) -> str:
        """The server's log so far (for a failure message)."""
        path = self.datadir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def initdb(self) -> None:
        """Make the cluster's files (no fsync: it is thrown away)."""
        done = self._run(self.bindir / "initdb", "-D", self.datadir, "-U", SUPERUSER,
                         "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> bool:
        """Start the server on ``port`` and wait until it accepts connections."""
        options = " ".join(f"-c {k}={v}" for k, v in SERVER_SETTINGS.items())
        options += f" -p {self.port} -k {self.datadir}"
        done = self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-l",
                         self.datadir / "server.log", "-o", options, "-w", "-t", "60", "start")
        return done.returncode == 0

    def stop(self) -> None:
        """Stop the server at once (nothing in it is kept)."""
        self._run(self.bindir / "pg_ctl", "-D", self.datadir, "-m", "immediate", "-w", "stop")


FOLDER_PREFIX = "smsform-pg-"
OWNER_FILE = "pytest.pid"  # the test run that owns a cluster's folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_orphans(bindir: Path) -> None:
    """Stop and remove clusters left by test runs that were killed before their clean-up."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        run_as = SUPERUSER if os.geteuid() == 0 else None
        PostgresCluster(bindir, folder / "data", 0, run_as).stop()
        shutil.rmtree(folder, ignore_errors=True)


def _data_folder(run_as: str | None) -> Path:
    """A new private folder for the cluster's files, owned by the user the server runs as."""
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    (folder / OWNER_FILE).write_text(str(os.getpid()))
    if run_as:
        account = pwd.getpwnam(run_as)
        os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def start_cluster(bindir: Path) -> PostgresCluster:
    """initdb and start a cluster on a free port (a few tries, should a port be taken)."""
    run_as = SUPERUSER if os.geteuid() == 0 else None
    if run_as:
        try:
            pwd.getpwnam(run_as)
        except KeyError:
            raise RuntimeError("running as root needs a 'postgres' system user to run "
                               "the server (Debian's postgresql package makes it)") from None
    data = _data_folder(run_as)
    cluster = PostgresCluster(bindir, data / "data", free_port(), run_as)
    try:
        cluster.initdb()
        for _ in range(START_ATTEMPTS):
            if cluster.start():
                return cluster
            cluster.port = free_port()
        raise RuntimeError(f"PostgreSQL did not start:\n{cluster.log()}")
    except BaseException:
        shutil.rmtree(data, ignore_errors=True)
        raise


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster for the whole run, started on first use; skipped (failed in CI)
    when PostgreSQL is not installed."""
    bindir = find_bindir()
    if bindir is None:
        reason = ("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl or initdb "
                  "on PATH): apt-get install postgresql to run the PostgreSQL tests")
        if in_ci():
            pytest.fail(f"CI must run the PostgreSQL tests: {reason}", pytrace=False)
        pytest.skip(reason)
    try:
        reap_orphans(bindir)
        cluster = start_cluster(bindir)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"could not start a throwaway PostgreSQL cluster: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.datadir.parent, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; its ``DATABASE_URL``."""
    name = postgres_cluster.create_database()
    yield postgres_cluster.url(name)
    postgres_cluster.drop_database(name)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``slow`` every test that uses the PostgreSQL cluster (``make test-quick`` leaves
    them out); ``db_url``'s PostgreSQL case is marked by its parameter."""
    for item in items:
        if "postgres_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for the test, once on each engine: a SQLite file in the test's
    folder, then a fresh PostgreSQL database. No tables: create them or run the migrations."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'smsform.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def new_db_url(db_url: str, request: pytest.FixtureRequest,
               tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes more empty databases on ``db_url``'s engine, for a test that needs two."""
    made: list[str] = []
    files = itertools.count(1)

    def make() -> str:
        if dialect(db_url) == "sqlite":
            return f"sqlite:///{tmp_path / f'other-{next(files)}.db'}"
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        made.append(cluster.create_database())
        return cluster.url(made[-1])

    yield make
    if made:
        cluster = request.getfixturevalue("postgres_cluster")
        for name in made:
            cluster.drop_database(name)


def dialect(url: str) -> str:
    """``sqlite`` or ``postgresql``: which engine a ``db_url`` is on."""
    return url.split(":", 1)[0].split("+", 1)[0]
