"""Access and privacy: users and their scopes, masking, and the append-only audit log."""
