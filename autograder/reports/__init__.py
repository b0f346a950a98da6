"""Static feedback pages: one per student, and a class page for the instructor (plots embedded, offline)."""

from autograder.reports.site import SiteResult, write_site

__all__ = ["SiteResult", "write_site"]
