"""voice: a child's views, wishes and feelings, heard by the people who decide."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from .app import create_app  # noqa: E402  (after ROOT, which the blueprints read)
