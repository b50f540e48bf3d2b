"""Closing a case, legal hold, erasure of a child's whole record, and retention (purge-expired)."""
from .routes import bp  # noqa: F401
