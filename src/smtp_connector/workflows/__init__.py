"""Workflows: Logic Apps workflow definitions (WDL) run unchanged.

``expressions/`` is the pure expression language (text -> AST -> value); the rest is the durable
machinery that stores definitions, fires triggers and executes runs.
"""
