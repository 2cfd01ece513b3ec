"""Pieces every domain shares: model types, clock, pagination, access checks."""
