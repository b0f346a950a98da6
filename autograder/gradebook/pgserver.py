"""A throwaway PostgreSQL server in a temporary folder (for tests and local trials).

``initdb`` and ``pg_ctl`` from Debian's ``postgresql`` package (``/usr/lib/postgresql/<v>/bin``); the
server listens only on a unix socket in its folder, trusts local connections, and is deleted on stop.
initdb refuses to run as root, so as root the server runs as the ``postgres`` user (or ``nobody``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

PORT = 5432  # on a unix socket in a private folder, so it never collides with anything


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl (the newest installed version), or None."""
    override = os.environ.get("TENSORGRADE_PG_BIN")
    candidates = [Path(override)] if override else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    candidates += versions
    which = shutil.which("initdb")
    if which:
        candidates.append(Path(which).parent)
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


class TempPostgres:
    """Start with :meth:`start` (or ``with``); :meth:`new_database` gives a fresh database's URL."""

    def __init__(self, bin_dir: Path | None = None) -> None:
        self.bin_dir = bin_dir or find_pg_bin()
        if self.bin_dir is None:
            raise FileNotFoundError("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
        self.folder: Path | None = None
        self.user = _server_user()

    @property
    def data(self) -> Path:
        assert self.folder is not None
        return self.folder / "data"

    def _run(self, *args: str) -> None:
        extra = {"user": self.user.pw_uid, "group": self.user.pw_gid} if self.user else {}
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=self.folder,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, **extra)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr.strip()[-800:]}")

    def start(self) -> TempPostgres:
        self.folder = Path(tempfile.mkdtemp(prefix="tg-pg-", dir="/tmp"))  # short: socket paths are limited
        if self.user:
            os.chown(self.folder, self.user.pw_uid, self.user.pw_gid)
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        options = f"-k {self.folder} -p {PORT} -c listen_addresses='' -F"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.folder}&port={PORT}"

    def new_database(self, prefix: str = "tg") -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(host=str(self.folder), port=PORT, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
