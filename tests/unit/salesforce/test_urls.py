"""Which login and instance URLs a Salesforce connection may use."""

from __future__ import annotations

import pytest

from smtp_connector.errors import HostNotAllowed, InvalidInput
from smtp_connector.hosts import HostAllowList
from smtp_connector.salesforce.urls import check_resolved, checked_url

OPEN = HostAllowList()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com/", "https://test.salesforce.com"),
        ("HTTPS://Acme.My.Salesforce.com", "https://acme.my.salesforce.com"),
        ("https://acme.my.salesforce.com:8443", "https://acme.my.salesforce.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.9.9.9", "http://127.9.9.9"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ],
)
def test_https_urls_and_plain_http_to_loopback_are_kept(given: str, stored: str) -> None:
    assert checked_url(given, OPEN, "loginUrl") == stored


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("http://login.salesforce.com", "use https"),
        ("http://localhost:8080", "use https"),
        ("http://10.0.0.5", "use https"),
        ("ftp://login.salesforce.com", "give an https URL"),
        ("login.salesforce.com", "give an https URL"),
        ("https://user:pw@login.salesforce.com", "user name or password"),
        ("https://login.salesforce.com/?x=1", "query or fragment"),
        ("https://login.salesforce.com/#top", "query or fragment"),
        ("https://169.254.169.254", "cloud metadata"),
        ("https://169.254.10.20", "link-local"),
        ("https://[fd00:ec2::254]", "cloud metadata"),
        ("http://[::ffff:169.254.169.254]", "cloud metadata"),
        ("https://0xa9.0xfe.0x0a.0x14", "link-local"),
        ("https://login salesforce.com", "spaces"),
        ("https://login.salesforce.com:99999", "not a URL"),
        ("https://bad_host!.com", "is not a host name"),
        ("https://" + "a" * 2050 + ".com", "at most 2048"),
    ],
)
def test_other_urls_are_refused_naming_the_field(given: str, says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        checked_url(given, OPEN, "loginUrl")
    [problem] = caught.value.problems
    assert problem.field == "loginUrl"
    assert says in problem.message


def test_the_operators_allow_list_applies() -> None:
    hosts = HostAllowList.parse("*.salesforce.com,127.0.0.1")
    assert checked_url("https://acme.my.salesforce.com", hosts, "loginUrl")
    assert checked_url("http://127.0.0.1:1234", hosts, "loginUrl")
    with pytest.raises(HostNotAllowed, match=r"example\.com"):
        checked_url("https://example.com", hosts, "loginUrl")


async def test_names_that_resolve_to_loopback_and_literal_addresses_pass_the_call_check() -> None:
    await check_resolved("https://localhost:1")
    await check_resolved("http://127.0.0.1:1")
    await check_resolved("https://no-such-host.invalid")  # left for the call to report
