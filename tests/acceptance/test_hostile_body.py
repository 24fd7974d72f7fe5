"""A hostile 1 MB Send Email body against the real ``serve``: the process keeps answering.

The body (``IsHtml`` absent) joins the shapes that used to cost quadratic time: a run of ``=``
inside a tag for the HTML sniff, nested links for the plain-text alternative, and ``<a`` repeated
(CPython's ``html.parser`` before 3.11.13). Before the fix, the sniff alone held the interpreter
lock for many seconds and ``/healthz`` went silent; the send took minutes.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.processes import Process, clean_env, free_port, start_serve

ADMIN = "acceptance-admin-key"
HEALTHZ_MOST_SECONDS = 1.0  # measured: a few milliseconds
SEND_MOST_SECONDS = 60.0  # measured: well under a second


def hostile_body() -> str:
    sniff = "<p " + "=" * 60_000 + "<b>"  # the tag the sniff finds comes after the run
    links = "<a href=https://example.com/x>y" * 20_000 + "</a>" * 20_000
    unclosed = "<a" * 150_000
    return sniff + links + unclosed


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Process]:
    srv = start_serve(
        tmp_path,
        clean_env(SMTP_CONNECTOR_ADMIN_API_KEY=ADMIN),
        "--inbox-port",
        str(free_port()),
        "--data-dir",
        str(tmp_path / "data"),
    )
    yield srv
    assert srv.terminate(timeout=15) == 0


def test_healthz_answers_while_a_hostile_body_is_processed(server: Process) -> None:
    body = hostile_body()
    assert len(body) >= 1_000_000
    payload = {"From": "a@example.com", "To": "b@example.com", "Subject": "s", "Body": body}
    auth = {"Authorization": f"Bearer {ADMIN}"}
    answer: dict[str, object] = {}

    def send() -> None:
        started = time.monotonic()
        response = httpx.post(
            f"{server.base}/v1/connections/local-inbox/send",
            json=payload,
            headers=auth,
            timeout=SEND_MOST_SECONDS,
        )
        answer["status"] = response.status_code
        answer["seconds"] = time.monotonic() - started

    sender = threading.Thread(target=send)
    sender.start()
    latencies: list[float] = []
    with httpx.Client(base_url=server.base, timeout=30) as client:
        while sender.is_alive():
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.monotonic() - started)
    sender.join()
    print(
        f"\nhostile send: {answer.get('status')} after {answer.get('seconds', 0):.2f} s; "
        f"/healthz answered {len(latencies)} times meanwhile, at most in "
        f"{max(latencies) * 1000:.1f} ms"
    )
    assert answer.get("status") == 200
    assert latencies and max(latencies) < HEALTHZ_MOST_SECONDS

    inbox = httpx.get(f"{server.base}/v1/inbox", headers=auth, timeout=30).json()["messages"]
    raw = httpx.get(f"{server.base}/v1/inbox/{inbox[0]['id']}/raw", headers=auth, timeout=30)
    message = email.message_from_bytes(raw.content, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    assert (
        text is not None
        and "yy (https://example.com/x) (https://example.com/x)" in text.get_content()
    )
