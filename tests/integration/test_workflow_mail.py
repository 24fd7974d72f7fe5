"""Send Email for workflow actions: the same action repetition sends once, however often it is
repeated (a resumed run), and a different body under the same key is refused."""

from __future__ import annotations

import pytest

from smtp_connector.config import Settings
from smtp_connector.workflows.mail import WorkflowMail
from support.api import add_connection, serving
from support.db import ENGINES
from support.smtp_server import SmtpTestServer

pytestmark = pytest.mark.parametrize("database_url", ENGINES, indirect=True)

BODY = {"From": "a@example.com", "To": "b@example.com", "Subject": "once", "Body": "x"}


def test_a_repeated_action_key_sends_once_and_answers_the_first_outcome(
    settings: Settings, smtp_server: SmtpTestServer
) -> None:
    with serving(settings) as (client, runtime):
        add_connection(client, smtp_server)
        mail = WorkflowMail(runtime.sender, settings.idempotency_ttl_seconds)

        async def twice() -> list[tuple[int, dict[str, object], object]]:
            key = "workflow-run/r1/Send"
            first = await mail("mail", BODY, key)
            again = await mail("mail", BODY, key)
            other = await mail("mail", {**BODY, "Subject": "changed"}, key)
            return [first, again, other]

        assert client.portal is not None  # the app's event loop, where its services live
        first, again, other = client.portal.call(twice)

    assert first[0] == 200 and again[0] == 200
    assert again[1]["messageId"] == first[1]["messageId"]
    assert [m.message["Subject"] for m in smtp_server.messages] == ["once"]
    assert other[0] == 409 and other[2] is not None
