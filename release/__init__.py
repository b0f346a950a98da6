"""Builds what students and graders receive from the single source in ``solutions/``."""
