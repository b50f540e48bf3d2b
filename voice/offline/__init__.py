"""A child's session offline: the sealing key, sealed items accepted once, resumable uploads."""
