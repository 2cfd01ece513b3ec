"""Integrations: hotline and third-party systems that file and follow reports (Open311, callbacks)."""
