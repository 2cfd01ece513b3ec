"""Hazard categories: stable codes, zh/en names, points and deadlines."""
