"""Leaf action types: each turns evaluated inputs into an outcome (``actions/base.py``)."""
