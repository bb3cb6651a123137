"""Nightly re-harvesting with APScheduler."""
