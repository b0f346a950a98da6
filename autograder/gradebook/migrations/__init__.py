"""Alembic migrations of the gradebook schema (run by ``open_gradebook``: ``upgrade head``)."""
