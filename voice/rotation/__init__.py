"""Rotating the key-encryption key: `flask --app voice rotate-kek` (see service.py)."""
