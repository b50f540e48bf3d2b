"""Read-aloud recordings of the questionnaires, by interpreters: see service.py."""
