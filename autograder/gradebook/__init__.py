"""The gradebook: students, assignments, submissions and their test results in a SQL database.

SQLite by default (one file), any SQLAlchemy URL (PostgreSQL via psycopg 3) for shared use.
The schema is created and upgraded by Alembic migrations whenever a gradebook is opened.
"""

from autograder.gradebook.connect import DEFAULT_DB_URL, normalise_url, open_gradebook
from autograder.gradebook.store import Gradebook, GradebookError

__all__ = ["DEFAULT_DB_URL", "Gradebook", "GradebookError", "normalise_url", "open_gradebook"]
