"""Test helpers: an in-process SMTP server with fault injection, and test certificates."""
