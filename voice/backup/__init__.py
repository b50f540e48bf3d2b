"""Backups that restore: `flask --app voice backup DIR` and `restore DIR` (see service.py)."""
