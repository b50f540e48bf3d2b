"""The child's side: see routes.py."""
from .routes import bp  # noqa: F401
