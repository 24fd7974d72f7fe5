"""Which servers a connection may name: numeric forms, canonical storage, refused addresses."""

from __future__ import annotations

import ipaddress
import socket
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.smtp.servers import METADATA, normalize_server, parse_ip, refusal

# Every way the review (F12) reached the metadata service, and more of the same kind.
METADATA_FORMS = [
    "169.254.169.254",
    "169.254.169.254.",
    "2852039166",
    "2852039166.",
    "0xa9.0xfe.0xa9.0xfe",
    "0XA9.0XFE.0XA9.0XFE",
    "0xa9fea9fe",
    "0251.0376.0251.0376",
    "00000251.0376.0251.0376",
    "0251.0376.0124776",
    "169.254.43518",
    "169.16689662",
    "0xa9.16689662",
    "[169.254.169.254]",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "[::ffff:169.254.169.254]",
    "::169.254.169.254",
    "::ffff:0:169.254.169.254",
    "64:ff9b::169.254.169.254",
    "2002:a9fe:a9fe::25",
    " 169.254.169.254 ",
]
LINK_LOCAL_FORMS = ["169.254.0.1", "169.254.255.255", "2851995649", "fe80::1", "[FE80::25]",
                    "febf:ffff::1", "fe80::1%eth0", "::ffff:169.254.1.1"]  # fmt: skip
OTHER_METADATA = ["fd00:ec2::254", "[fd00:ec2::254]", "fd20:ce::254", "100.100.100.200",
                  "0x64.0x64.0x64.0xc8", "1684301000", "168.63.129.16", "::ffff:100.100.100.200",
                  "169.254.170.2"]  # fmt: skip


@pytest.mark.parametrize("text", METADATA_FORMS)
def test_every_form_of_the_metadata_address_is_read_as_it(text: str) -> None:
    ip = parse_ip(text.strip())
    assert ip is not None
    reason = refusal(ip)
    assert reason is not None and "cloud metadata address" in reason
    assert ip == ipaddress.ip_address("169.254.169.254") or "of 169.254.169.254," in reason


@pytest.mark.parametrize("text", METADATA_FORMS + LINK_LOCAL_FORMS + OTHER_METADATA)
def test_link_local_and_metadata_servers_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="link-local or cloud metadata"):
        normalize_server(text)


def test_every_listed_metadata_address_is_refused() -> None:
    for ip in METADATA:
        assert refusal(ip) is not None
        with pytest.raises(ValueError, match="cloud metadata address"):
            normalize_server(str(ip))


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("smtp.example.com", "smtp.example.com"),
        ("SMTP.Example.COM.", "smtp.example.com"),
        ("localhost", "localhost"),
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[127.0.0.1]", "127.0.0.1"),
        ("10.0.0.25", "10.0.0.25"),
        ("::1", "::1"),
        ("[0:0:0:0:0:0:0:1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("2001:db8::25", "2001:db8::25"),
        ("169.255.0.1", "169.255.0.1"),  # next to link-local, not in it
        ("fec0::1", "fec0::1"),
        ("_smtp.example.com", "_smtp.example.com"),
    ],
)
def test_allowed_servers_are_stored_canonically(text: str, stored: str) -> None:
    assert normalize_server(text) == stored


@pytest.mark.parametrize(
    "text",
    ["", ".", "smtp..example.com", "smtp.example.com..", "a b", "smtp.example.com\r\nRCPT",
     "-smtp.example.com", "[smtp.example.com]", "[::1", "1::2::3", "1.2.3.256", "08.1.2.3",
     "1.2.3.4.5", "smtp.0x10", "99999999999", "0x"],
)  # fmt: skip
def test_what_is_neither_a_name_nor_an_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        normalize_server(text)


# -- property tests: the inet_aton forms ----------------------------------------------------


def _encode(value: int, base: str, zeros: int, upper: bool) -> str:
    if base == "hex":
        text = "0x" + "0" * zeros + format(value, "x")
        return text.upper() if upper else text
    if base == "octal":
        return "0" + "0" * zeros + format(value, "o")
    return str(value)


@st.composite
def numeric_ipv4(draw: st.DrawFn, address: st.SearchStrategy[int]) -> tuple[int, str]:
    """An IPv4 address and one of its inet_aton spellings (1-4 parts, mixed bases)."""
    value = draw(address)
    parts_count = draw(st.integers(1, 4))
    octets = value.to_bytes(4, "big")
    head = list(octets[: parts_count - 1])
    last = int.from_bytes(octets[parts_count - 1 :], "big")
    parts = []
    for number in [*head, last]:
        base = draw(st.sampled_from(["dec", "hex", "octal"]))
        parts.append(_encode(number, base, draw(st.integers(0, 3)), draw(st.booleans())))
    return value, ".".join(parts)


LINK_LOCAL = st.integers(0xA9FE0000, 0xA9FEFFFF)


@given(numeric_ipv4(st.integers(0, 2**32 - 1)))
def test_numeric_forms_read_as_their_address(case: tuple[int, str]) -> None:
    value, text = case
    assert parse_ip(text) == ipaddress.IPv4Address(value)
    assert parse_ip(text + ".") == ipaddress.IPv4Address(value)


@given(numeric_ipv4(LINK_LOCAL), st.sampled_from(["{}", "{}.", " {} ", "[{}]"]))
def test_no_spelling_of_a_link_local_address_is_accepted(
    case: tuple[int, str], template: str
) -> None:
    _value, text = case
    with pytest.raises(ValueError, match="link-local or cloud metadata"):
        normalize_server(template.format(text))


@given(LINK_LOCAL, st.sampled_from(["::ffff:{}", "[::ffff:{}]", "::{}", "64:ff9b::{}"]))
def test_no_ipv6_form_of_a_link_local_address_is_accepted(value: int, template: str) -> None:
    with pytest.raises(ValueError, match=r"IPv6 form of 169\.254\."):
        normalize_server(template.format(ipaddress.IPv4Address(value)))


@pytest.mark.skipif(sys.platform != "linux", reason="compares with glibc's inet_aton")
@given(
    st.one_of(
        st.text(alphabet="0123456789abcdefxX.", max_size=24),
        numeric_ipv4(st.integers(0, 2**32 - 1)).map(lambda case: case[1]),
        st.lists(st.integers(0, 2**33), min_size=1, max_size=5).map(
            lambda numbers: ".".join(map(str, numbers))
        ),
    )
)
def test_parse_ip_agrees_with_the_c_library(text: str) -> None:
    """Whatever inet_aton (what getaddrinfo uses for numbers) reads, parse_ip reads the same."""
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    if text.endswith(".") and not text.endswith(".."):
        return  # parse_ip drops one trailing dot; inet_aton refuses it (checked above)
    assert parse_ip(text) == expected
