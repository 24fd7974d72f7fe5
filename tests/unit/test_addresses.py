"""Address parsing: one mailbox, lists split at ``;`` and ``,``, de-duplication."""

from __future__ import annotations

import base64

import pytest
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.errors import InvalidInput
from smtp_connector.mail.addresses import (
    dedupe,
    parse_address,
    parse_address_list,
    split_address_list,
)
from smtp_connector.mail.message import Address


def _problem(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    """The only problem's message, after checking that it names the field given (``To``)."""
    assert [p.field for p in exc.value.problems] == ["To"]
    return exc.value.problems[0].message


# --- one mailbox -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a@example.com", Address("a@example.com")),
        ("  a@example.com  ", Address("a@example.com")),
        ("<a@example.com>", Address("a@example.com")),
        ("Alice Smith <alice@example.com>", Address("alice@example.com", "Alice Smith")),
        ('"Doe; John" <j@example.com>', Address("j@example.com", "Doe; John")),
        ('"Doe, John" <j@example.com>', Address("j@example.com", "Doe, John")),
        ('"  Padded  " <j@example.com>', Address("j@example.com", "Padded")),
        (r'"John \"Q\" Doe" <j@example.com>', Address("j@example.com", 'John "Q" Doe')),
        ("=?utf-8?q?J=C3=B6rg?= <j@example.com>", Address("j@example.com", "Jörg")),
        ('"=?utf-8?q?J=C3=B6rg?=" <j@example.com>', Address("j@example.com", "Jörg")),
        ("John.Doe@Example.COM", Address("John.Doe@example.com")),
        ("j(comment)@example.com", Address("j@example.com")),
        ("x+tag@sub.example.co.uk", Address("x+tag@sub.example.co.uk")),
        ("a@mx.test", Address("a@mx.test")),
    ],
)
def test_parse_address_accepts_mailboxes(text: str, expected: Address) -> None:
    assert parse_address(text, field="To") == expected


def test_role_mailboxes_are_lowercased_other_local_parts_keep_their_case() -> None:
    assert parse_address("PostMaster@example.com", field="To").addr_spec == "postmaster@example.com"
    assert parse_address("Jane.Doe@example.com", field="To").addr_spec == "Jane.Doe@example.com"


def test_idn_domain_becomes_punycode_and_ascii_needs_no_smtputf8() -> None:
    address = parse_address("Jörg <info@Bücher.DE>", field="To")
    assert address == Address("info@xn--bcher-kva.de", "Jörg")
    assert not address.needs_smtputf8


def test_utf8_local_part_is_kept_and_needs_smtputf8() -> None:
    address = parse_address("jörg@bücher.de", field="To")
    assert address.addr_spec == "jörg@xn--bcher-kva.de"
    assert address.needs_smtputf8


@pytest.mark.parametrize(
    "text",
    [
        "a@example.com\r\nRCPT TO:<victim@evil.test>",
        "a@example.com\nRCPT TO:<victim@evil.test>",
        "a@example.com\rRCPT TO:<victim@evil.test>",
        "a@example.com\x00victim@evil.test",
        "a@example.com\tvictim@evil.test",
        "a@example.com\x7fvictim@evil.test",
        "a@example.com\x85victim@evil.test",
        "a@example.com\u2028victim@evil.test",
        "a@example.com\u2029victim@evil.test",
        "Name\x1b <a@example.com>",
        "a@example.com\ud800",
    ],
)
def test_control_characters_are_refused_without_echoing_the_value(text: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address(text, field="To")
    message = _problem(exc)
    assert "control character" in message
    assert "victim" not in message and "Name" not in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("alice@example.org)<bob@example.org>", "unexpected text after the address"),
        ("alice@example.org@<bob@example.org>", "not a valid email address"),
        ("<a@example.com> garbage", "unexpected text after the address"),
        ("a@example.com b@example.com", "unexpected text after the address"),
        ("-oQ/x@example.com", "starts with '-'"),
        ('"-oQ/x"@example.com', "starts with '-'"),
        ("Evil <-oQ/x@example.com>", "starts with '-'"),
        ("j@[192.0.2.1]", "IP literals are not accepted"),
        ("j@[IPv6:2001:db8::1]", "IP literals are not accepted"),
        ("j@192.0.2.1", "not a valid email address"),
        ("example.com", "no '@'"),
        ("John Doe", "no '@'"),
        ("John Doe <>", "no '@'"),
        ("John <j@example.com", "not a valid email address"),
        ('"a b"@example.com', "not a valid email address"),
        ("<@route.example:j@example.com>", "not a valid email address"),
        ("j@", "not a valid email address"),
        ("@example.com", "not a valid email address"),
        ("a..b@example.com", "not a valid email address"),
        ("j@host", "not a valid email address"),
        ("j@corp.local", "not a valid email address"),
        ("j@example.invalid", "not a valid email address"),
        ("=?utf-8?q?a=0D=0ABcc:_x@evil.test?= <j@example.com>", "not a valid email address"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_bad_mailboxes_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address(text, field="To")
    assert fragment in _problem(exc)


@pytest.mark.parametrize("name", ["a\u2028b", "a\x85b", "a\x7fb", "a\r\nBcc: x@evil.test"])
def test_encoded_display_names_hiding_control_characters_are_refused(name: str) -> None:
    encoded = base64.b64encode(name.encode()).decode()
    with pytest.raises(InvalidInput):
        parse_address(f"=?utf-8?b?{encoded}?= <j@example.com>", field="To")


def test_the_offending_item_is_quoted_in_the_message() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address("alice@example.org)<bob@example.org>", field="CC")
    assert exc.value.problems[0].field == "CC"
    assert "'alice@example.org)<bob@example.org>'" in exc.value.problems[0].message


def test_local_part_is_limited_to_64_octets() -> None:
    assert parse_address("x" * 64 + "@example.com", field="To").addr_spec.startswith("x" * 64)
    with pytest.raises(InvalidInput) as exc:
        parse_address("x" * 65 + "@example.com", field="To")
    assert "64 octets" in _problem(exc)
    with pytest.raises(InvalidInput):  # 22 characters, 66 octets in UTF-8
        parse_address("日" * 22 + "@example.com", field="To")


def test_domain_and_label_lengths_are_limited() -> None:
    label63 = "a" * 63
    assert parse_address(f"j@{label63}.com", field="To").addr_spec == f"j@{label63}.com"
    with pytest.raises(InvalidInput):
        parse_address(f"j@{'a' * 64}.com", field="To")
    long_domain = ".".join(["b" * 60] * 5) + ".com"  # 309 octets
    with pytest.raises(InvalidInput):
        parse_address(f"j@{long_domain}", field="To")


def test_an_overlong_item_is_refused_before_parsing() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address("N" * 5000 + " <j@example.com>", field="To")
    assert "longer than" in _problem(exc)


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidInput):
        parse_address(42, field="To")  # type: ignore[arg-type]


# --- lists -------------------------------------------------------------------------------------


def _specs(addresses: tuple[Address, ...]) -> list[str]:
    return [a.addr_spec for a in addresses]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@example.com;;b@example.com; ;", ["a@example.com", "b@example.com"]),
        ("a@example.com, b@example.com", ["a@example.com", "b@example.com"]),
        ("a@example.com,b@example.com;c@example.com", [f"{c}@example.com" for c in "abc"]),
        ('"Doe; John" <j@example.com>; k@example.com', ["j@example.com", "k@example.com"]),
        ('"Doe, John" <j@example.com>, k@example.com', ["j@example.com", "k@example.com"]),
        ("j(x;y,z)@example.com; k@example.com", ["j@example.com", "k@example.com"]),
        (["a@example.com; b@example.com", "c@example.com"], [f"{c}@example.com" for c in "abc"]),
        ([], []),
        ("", []),
        (" ; , ", []),
        (None, []),
    ],
)
def test_lists_split_on_semicolons_and_commas_at_top_level(
    value: str | list[str] | None, expected: list[str]
) -> None:
    assert _specs(parse_address_list(value, field="To")) == expected


def test_a_separator_inside_angle_brackets_does_not_merge_or_split() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address_list("<a@example.com; b@example.com>", field="To")
    assert "'<a@example.com; b@example.com>'" in _problem(exc)


def test_comma_separated_names_are_never_one_merged_address() -> None:
    addresses = parse_address_list("Alice <a@example.com>, Bob <b@example.com>", field="To")
    assert addresses == (Address("a@example.com", "Alice"), Address("b@example.com", "Bob"))


def test_every_bad_item_of_a_list_is_reported() -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address_list("bad; ok@example.com; -x@example.com", field="Bcc")
    assert [p.field for p in exc.value.problems] == ["Bcc", "Bcc"]
    assert "'bad'" in exc.value.problems[0].message
    assert "'-x@example.com'" in exc.value.problems[1].message


@pytest.mark.parametrize("value", [42, ["a@example.com", 3], {"a": "b@example.com"}])
def test_list_of_wrong_type_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_address_list(value, field="To")  # type: ignore[arg-type]
    assert "string" in _problem(exc)


def test_split_refuses_more_items_than_allowed() -> None:
    assert len(split_address_list("a@x.com;b@x.com", field="To", max_items=2)) == 2
    with pytest.raises(InvalidInput) as exc:
        split_address_list("a@x.com;b@x.com;c@x.com", field="To", max_items=2)
    assert "3 addresses" in _problem(exc)
    with pytest.raises(InvalidInput) as exc:
        split_address_list(";" * 10_000, field="To", max_items=2)
    assert "too long" in _problem(exc)


def test_dedupe_keeps_the_first_occurrence_across_lists() -> None:
    a = Address("Alice@Example.com", "First")
    a_again = Address("alice@example.COM", "Second")
    b = Address("b@example.com")
    assert dedupe((a, b, a_again), (a_again,), (b, Address("c@example.com"))) == (
        (a, b),
        (),
        (Address("c@example.com"),),
    )


def test_dedupe_of_nothing() -> None:
    assert dedupe() == ()
    assert dedupe((), ()) == ((), ())


# --- properties --------------------------------------------------------------------------------

_ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
_atom = st.text(alphabet=_ATEXT, min_size=1, max_size=10)
_local = (
    st.lists(_atom, min_size=1, max_size=3)
    .map(".".join)
    .filter(lambda s: s[0] != "-" and s.lower() not in CASE_INSENSITIVE_MAILBOX_NAMES)
)
_label = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6})?", fullmatch=True)
_domain = st.builds(
    lambda labels, tld: ".".join([*labels, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "net", "de", "io", "test"]),
)
_name = (
    st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
    .map(lambda s: " ".join(s.split()))
    .filter(lambda s: "=?" not in s)
)
_addresses = st.lists(st.builds(lambda n, lp, d: Address(f"{lp}@{d}", n), _name, _local, _domain))


def _written(address: Address) -> str:
    if not address.display_name:
        return address.addr_spec
    quoted = address.display_name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address.addr_spec}>'


@given(_addresses, st.sampled_from([";", ",", "; ", " , "]))
def test_written_lists_parse_back_in_order(addresses: list[Address], separator: str) -> None:
    text = separator.join(_written(a) for a in addresses)
    assert parse_address_list(text, field="To") == tuple(addresses)


_piece = st.one_of(
    st.sampled_from([*'"()<>@,;:\\.[] -\r\n\t\x00\u2028', "=?utf-8?q?", "?=", "a@b.de"]),
    st.text(max_size=3),
)
_tricky_text = st.lists(_piece, max_size=25).map("".join)


@given(st.one_of(_tricky_text, st.lists(_tricky_text, max_size=4)))
def test_arbitrary_text_only_ever_raises_invalid_input(value: str | list[str]) -> None:
    try:
        addresses = parse_address_list(value, field="To")
    except InvalidInput as exc:
        assert exc.problems and all(p.field == "To" for p in exc.problems)
    else:
        for address in addresses:
            assert address.addr_spec.count("@") == 1
            assert not any(c in address.addr_spec for c in "\r\n\x00<>;, ")
