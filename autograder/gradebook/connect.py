"""Open a gradebook from a URL or a path: create the SQLite file's folder, set up the engine, migrate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from autograder.gradebook import migrate
from autograder.gradebook.store import Gradebook, GradebookError, describe_url

DEFAULT_DB_URL = "sqlite:///grades/gradebook.sqlite"
DB_ENV = "TENSORGRADE_DB"


def default_url() -> str:
    """$TENSORGRADE_DB, else a course folder's own grades/gradebook.sqlite, else grades/ in the working directory."""
    if os.environ.get(DB_ENV):
        return os.environ[DB_ENV]
    from autograder.course import CourseError, find_course

    try:
        course = find_course()
    except CourseError:
        course = None
    if course is not None and course.root is not None:
        return f"sqlite:///{course.root / 'grades' / 'gradebook.sqlite'}"
    return DEFAULT_DB_URL


def normalise_url(url: str | os.PathLike | None) -> str:
    """A SQLAlchemy URL from a URL or a plain file path; PostgreSQL URLs use psycopg 3."""
    url = str(url or default_url())
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL: report pages can be read while a batch writes; a kill -9 loses at most the open transaction
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def open_gradebook(url: str | os.PathLike | None = None, create: bool = True) -> Gradebook:
    """Open (creating and migrating as needed) the gradebook at ``url``; ``create=False``: only an existing one."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise GradebookError(f"{url!r} is not a database URL (e.g. sqlite:///grades/gradebook.sqlite or "
                             "postgresql://user@host/dbname)") from exc
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser()
        if not create and not path.is_file():
            raise GradebookError(f"no gradebook at {path}: grade first (`tensorgrade grade <hw> <folder>`) "
                                 "or pass --db with the gradebook's URL or path")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as exc:
        raise GradebookError(f"no database driver for {parsed.drivername!r}: use sqlite:///path/gradebook.sqlite "
                             "or postgresql://user@host/dbname") from exc
    except (ArgumentError, ImportError) as exc:
        raise GradebookError(f"cannot use {describe_url(url)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        migrate.upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise GradebookError(f"cannot open the gradebook at {describe_url(url)}: {reason}") from exc
    except Exception as exc:
        engine.dispose()
        if "Can't locate revision" in str(exc):
            raise GradebookError(f"the gradebook at {describe_url(url)} was written by a newer tensorgrade "
                                 "(its schema is newer than this one knows): upgrade tensorgrade") from exc
        raise
    return Gradebook(engine, url)


