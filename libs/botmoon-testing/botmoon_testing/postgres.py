"""A throwaway PostgreSQL cluster for tests: Debian's server binaries, a temporary directory, a free port.

The cluster runs as an unprivileged user (PostgreSQL refuses root): the caller itself, or `postgres` (the user
Debian's package creates) when the tests run as root. Trust authentication on 127.0.0.1 only.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from botmoon_testing.processes import free_port

USER = "botmoon"


def server_bindir() -> Path:
    """Where initdb and pg_ctl are: Debian keeps them under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL's server is not installed: run scripts/test-postgres.sh (apt-get install "
                       "postgresql)")


class PostgresServer:
    """initdb + pg_ctl start on 127.0.0.1:<free port>; `database()` makes a fresh database and gives its URL."""

    def __init__(self):
        self.bindir = server_bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="botmoon-pg-"))
        self.data = self.root / "data"
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> "PostgresServer":
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://{USER}@127.0.0.1:{self.port}/{database}"

    def database(self, prefix: str = "test") -> str:
        """The SQLAlchemy URL of a new, empty database."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url(driver="postgresql"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
