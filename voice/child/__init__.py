"""The child's side: see routes.py."""
from .routes import bp  # noqa: F401
from . import offline  # noqa: F401,E402  (the offline queue's routes, on the same blueprint)
