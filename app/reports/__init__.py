"""Hazard reports: submission, the state machine, the timeline."""
