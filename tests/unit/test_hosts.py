"""The operator's allow-list of SMTP servers."""

from __future__ import annotations

import pytest

from smtp_connector.errors import HostNotAllowed
from smtp_connector.hosts import HostAllowList

LIST = HostAllowList.parse(" smtp.office365.com, *.Example.com., 10.0.0.0/8 ,fd00::/8,,")


@pytest.mark.parametrize(
    "host",
    [
        "smtp.office365.com",
        "SMTP.Office365.com.",
        "mail.example.com",
        "a.b.example.com",
        "10.1.2.3",
        "[fd00::25]",
    ],
)
def test_allowed(host: str) -> None:
    assert LIST.allows(host)
    LIST.check(host)


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "evilexample.com",
        "smtp.office365.com.evil.test",
        "11.0.0.1",
        "127.0.0.1",
        "smtp.gmail.com",
    ],
)
def test_refused(host: str) -> None:
    assert not LIST.allows(host)
    with pytest.raises(HostNotAllowed, match="allow-list"):
        LIST.check(host)


def test_empty_list_allows_everything() -> None:
    assert HostAllowList.parse(None).allows("anything.test")
    assert HostAllowList.parse(" , ").allows("10.0.0.1")
