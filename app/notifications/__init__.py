"""Notifications: the outbox, the poll and stream readers, and Web Push delivery."""
