"""Harvest, clean, version and archive the annual rule-of-law reports of China's county portals."""

__version__ = "0.1.0"
