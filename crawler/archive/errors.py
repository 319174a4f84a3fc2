"""Errors of the archive layer."""


class ArchiveError(Exception):
    """The archive cannot be opened, upgraded or written (a run cannot happen)."""
