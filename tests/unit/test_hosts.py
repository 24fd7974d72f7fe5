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


@pytest.mark.parametrize("host", ["167838211", "0x0a.1.2.3", "012.1.2.3", "10.1.515", "[10.1.2.3]"])
def test_numeric_forms_match_as_the_address_they_are(host: str) -> None:
    assert LIST.allows(host)  # 10.1.2.3, inside 10.0.0.0/8


def test_numeric_entries_match_their_address_in_any_form() -> None:
    assert HostAllowList.parse("0x7f.1").allows("127.0.0.1")
    assert HostAllowList.parse("127.0.0.1").allows("2130706433")
    assert not HostAllowList.parse("127.0.0.1").allows("127.0.0.2")


def test_a_name_never_matches_an_address_entry() -> None:
    """Names match names: where a name resolves to is checked at connect time, not here."""
    assert not HostAllowList.parse("127.0.0.0/8").allows("localhost")
