"""Report statistics for secretaries, dispatchers and admins."""
