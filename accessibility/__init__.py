"""The accessibility audit suite (see README.md)."""
