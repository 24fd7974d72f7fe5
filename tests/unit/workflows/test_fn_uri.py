"""uriHost, uriPath, uriPathAndQuery, uriPort, uriQuery, uriScheme."""

from __future__ import annotations

import pytest
from function_calls import call, failure

CATALOG = "https://www.contoso.com/catalog/shownew.htm?date=today"


@pytest.mark.parametrize(
    ("name", "uri", "expected"),
    [
        # FN
        ("uriHost", "https://www.localhost.com:8080", "www.localhost.com"),
        ("uriPath", CATALOG, "/catalog/shownew.htm"),
        ("uriPathAndQuery", CATALOG, "/catalog/shownew.htm?date=today"),
        ("uriPort", "https://www.localhost:8080", 8080),
        ("uriQuery", CATALOG, "?date=today"),
        # FN prints "http" here, a typo: the scheme of an https URI is https.
        ("uriScheme", CATALOG, "https"),
    ],
)
def test_documented_vectors(name: str, uri: str, expected: object) -> None:
    assert call(name, uri) == expected


def test_defaults_when_parts_are_absent() -> None:
    assert call("uriPort", "https://example.com/x") == 443
    assert call("uriPort", "http://example.com") == 80
    assert call("uriPort", "custom://example.com") == -1
    assert call("uriPath", "https://example.com") == "/"
    assert call("uriPathAndQuery", "https://example.com") == "/"
    assert call("uriQuery", "https://example.com/a") == ""


def test_dotnet_normalisation() -> None:
    assert call("uriHost", "HTTPS://WWW.Example.COM/Path") == "www.example.com"
    assert call("uriScheme", "HTTPS://example.com") == "https"
    assert call("uriPath", "https://example.com/Path/With Space/é") == "/Path/With%20Space/%C3%A9"
    assert call("uriHost", "http://[::1]:8080/") == "[::1]"
    assert call("uriHost", "mailto:someone@example.com") == ""


@pytest.mark.parametrize(
    "uri",
    ["www.contoso.com", "/relative/path", "", "https://", "http://exa mple.com", "http://x:99999"],
)
def test_not_an_absolute_uri(uri: str) -> None:
    assert "expects its parameter to be a well-formed absolute URI" in failure("uriHost", uri)


def test_uri_must_be_a_string() -> None:
    assert "expects its parameter to be of type string" in failure("uriPort", None)
