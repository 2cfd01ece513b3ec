"""Notifications: the outbox, poll and stream readers, seen, and delivery by Web Push, SMS and WeChat."""
