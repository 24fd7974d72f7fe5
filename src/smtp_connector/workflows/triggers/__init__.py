"""Triggers: what starts runs (Request: an HTTP call; Recurrence: a schedule)."""
