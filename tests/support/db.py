"""Database engines the integration tests run on."""

from __future__ import annotations

import os

ENGINES = ["sqlite", "postgresql"]
PG_URL = os.environ.get("SMTP_CONNECTOR_TEST_DATABASE_URL")
