"""The seed's Send Email example (a new Salesforce lead), shown by ``serve``, the API docs and
the README, and sent by the tests, so that the example a newcomer sees is the one tested."""

from __future__ import annotations

SEED_EXAMPLE: dict[str, object] = {
    "From": "sender@example.com",
    "To": "recipient1@example.com;recipient2@example.com",
    "Subject": "New lead created",
    "Body": "<p>A new lead was created in Salesforce: <b>Jane Doe</b>.</p>",
    "IsHtml": True,
    "Importance": "High",
}
