"""The panel's message, told to the child in their language: see service.py."""
