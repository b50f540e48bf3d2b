"""All models; import from here."""
from .base import Base, new_id, now  # noqa: F401
from .core import *  # noqa: F401,F403
