"""Callback URLs of Request triggers, signed like Logic Apps' (``sp``, ``sv``, ``sig``).

``sig`` is an HMAC-SHA256 of the workflow, the trigger and the permissions (``sp``) under the
workflow's access key (stored encrypted); regenerating the key voids every URL signed before.
Checked in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode

API_VERSION = "2016-10-01"
SIGNATURE_VERSION = "1.0"


def permissions(trigger: str) -> str:
    """``sp``: what the URL allows (running this one trigger)."""
    return f"/triggers/{trigger}/run"


def signature(key: str, workflow: str, trigger: str, sp: str, sv: str = SIGNATURE_VERSION) -> str:
    message = "\n".join((workflow, trigger, sp, sv)).encode("utf-8")
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(
    key: str, workflow: str, trigger: str, sp: str | None, sv: str | None, sig: str | None
) -> bool:
    """Whether ``sig`` signs exactly this workflow, trigger and ``sp`` (constant time)."""
    if not sig or sv != SIGNATURE_VERSION or sp is None:
        return False
    if sp.casefold() != permissions(trigger).casefold():
        return False
    expected = signature(key, workflow, trigger, permissions(trigger), sv)
    return hmac.compare_digest(expected.encode("ascii"), sig.encode("ascii", "replace"))


def callback(
    base_url: str, key: str, workflow: str, trigger: str, relative_path: str | None
) -> dict[str, object]:
    """The ARM ``WorkflowTriggerCallbackUrl`` shape for this trigger."""
    sp = permissions(trigger)
    queries = {
        "api-version": API_VERSION,
        "sp": sp,
        "sv": SIGNATURE_VERSION,
        "sig": signature(key, workflow, trigger, sp),
    }
    base_path = (
        f"{base_url.rstrip('/')}/v1/workflows/{quote(workflow, safe='')}"
        f"/triggers/{quote(trigger, safe='')}/invoke"
    )
    path = ""
    if relative_path:
        path = "/" + relative_path.strip("/")
    answer: dict[str, object] = {
        "value": f"{base_path}{path}?{urlencode(queries, quote_via=quote)}",
        "method": "POST",
        "basePath": base_path,
        "queries": queries,
    }
    if relative_path:
        answer["relativePath"] = relative_path
    return answer
