"""Accounts, roles, sessions and community invites."""
