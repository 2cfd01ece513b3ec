"""Honour points: the ledger, the rules, leaderboards."""
