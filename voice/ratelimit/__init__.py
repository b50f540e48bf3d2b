"""Rate limits on sign-in, codes, invitations and a child session's PIN, counted in the database."""
