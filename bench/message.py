"""The message every end-to-end benchmark sends, as a Send Email body and as the peers' content.

An HTML body of about 2 KB in 40 paragraphs and a 3 KB attachment; the large-attachment cases
send the same body with a bigger (incompressible, reproducible) attachment instead.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

from naive import Content

PARAGRAPH = "<p>Lead {:02d}: Jane Doe asked for <b>a quote</b>.</p>\n"
HTML = "<html><body>\n" + "".join(PARAGRAPH.format(i) for i in range(1, 41)) + "</body></html>"
TEXT = "A new lead was created."
ATTACHMENT = bytes(range(256)) * 12
CONTENT = Content(html=HTML, text=TEXT, attachment=ATTACHMENT)


def send_body(attachment: bytes = ATTACHMENT) -> dict[str, Any]:
    """The Send Email (V3) body of the benchmark's message with ``attachment``."""
    return {
        "From": "Sales <sender@example.com>",
        "To": "recipient@example.com",
        "Subject": "New lead created",
        "Body": HTML,
        "IsHtml": True,
        "Attachments": [
            {
                "ContentData": base64.b64encode(attachment).decode(),
                "ContentType": "application/octet-stream",
                "FileName": "lead.bin",
            }
        ],
    }


SEND = send_body()


def noise(size: int) -> bytes:
    """``size`` pseudo-random bytes, the same every run (an attachment that does not compress)."""
    return random.Random(size).randbytes(size)


def request(body: object) -> bytes:
    """A JSON request body as bytes, serialized once and sent as is."""
    return json.dumps(body).encode()


def batch_request(size: int) -> bytes:
    """A ``send-batch`` body of ``size`` copies of the message."""
    return request({"messages": [SEND] * size})


def peer_message() -> dict[str, str]:
    """The message for the Node peer (``node/nodemailer_pool.js``), as JSON-ready fields."""
    return {
        "html": HTML,
        "text": TEXT,
        "attachment": base64.b64encode(ATTACHMENT).decode(),
        "filename": "lead.bin",
    }
