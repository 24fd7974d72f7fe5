"""Base64, binary content, data URIs, URI components, UTF-8/16 lengths."""

from __future__ import annotations

import pytest
from function_calls import call, failure
from hypothesis import given
from hypothesis import strategies as st


def binary(base64_text: str, content_type: str = "application/octet-stream") -> dict[str, str]:
    return {"$content-type": content_type, "$content": base64_text}


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        # FN
        ("base64", ("hello",), "aGVsbG8="),
        ("base64ToString", ("aGVsbG8=",), "hello"),
        ("dataUri", ("hello",), "data:text/plain;charset=utf-8;base64,aGVsbG8="),
        ("dataUriToString", ("data:text/plain;charset=utf-8;base64,aGVsbG8=",), "hello"),
        ("decodeUriComponent", ("https%3A%2F%2Fcontoso.com",), "https://contoso.com"),
        ("encodeUriComponent", ("https://contoso.com",), "https%3A%2F%2Fcontoso.com"),
        ("uriComponent", ("https://contoso.com",), "https%3A%2F%2Fcontoso.com"),
        ("uriComponentToString", ("https%3A%2F%2Fcontoso.com",), "https://contoso.com"),
        # IA
        ("base64", ("test",), "dGVzdA=="),
        ("base64ToString", ("aGVsbG8gd29ybGQ=",), "hello world"),
        ("decodeBase64", ("dGVzdA==",), "test"),
        ("binary", ({"hello": "world"},), binary("eyJoZWxsbyI6IndvcmxkIn0=")),
        ("binary", (3.14,), binary("My4xNA==")),
        ("binary", ("123asdf?a=b%20c%2F",), binary("MTIzYXNkZj9hPWIlMjBjJTJG")),
        ("binary", (["a", "b", "c"],), binary("WyJhIiwiYiIsImMiXQ==")),
        ("binary", (True,), binary("VHJ1ZQ==")),
        ("binary", (False,), binary("RmFsc2U=")),
        ("base64ToBinary", ("dGVzdA==",), binary("dGVzdA==")),
        ("base64ToBinary", ("",), binary("")),
        ("base64ToBinary", ("aGVsbG8 gd29ybGQ=",), binary("aGVsbG8gd29ybGQ=")),
        (
            "dataUriToBinary",
            ("data:text/plain;charset=utf-8;base64,aGVsbG8=",),
            binary("aGVsbG8=", "text/plain;charset=utf-8"),
        ),
        (
            "dataUriToBinary",
            ("data:text/plain;charset=utf-8,aGVsbG8=",),
            binary("YUdWc2JHOD0=", "text/plain;charset=utf-8"),
        ),
        (
            "dataUriToBinary",
            ("data:,  [ 1, 2, 3 ]  ",),
            binary("ICBbIDEsIDIsIDMgXSAg", "text/plain"),
        ),
        ("dataUriToBinary", ("data:;base64,dGVzdA==",), binary("dGVzdA==", "text/plain")),
        (
            "dataUriToBinary",
            ("data:text/plain;base64;charset=ascii,dGVzdA==",),
            binary("ZEdWemRBPT0=", "text/plain;base64;charset=ascii"),
        ),
        (
            "decodeDataUri",
            ("DATA:TEXT/PLAIN;COWS=MOO;CHARSET=UTF-8;CATS=CUTE;BASE64,dGVzdA==",),
            binary("dGVzdA==", "TEXT/PLAIN;COWS=MOO;CHARSET=UTF-8;CATS=CUTE"),
        ),
        (
            "dataUriToString",
            ("data:text/plain;charset=utf-8,%22hello,%20world%22",),
            '"hello, world"',
        ),
        (
            "dataUriToString",
            ("data:text/plain;charset=utf-8;base64,aGVsbG8 gd29ybGQ=",),
            "hello world",
        ),
        (
            "dataUriToString",
            ("data:text/plain;charset=utf-8,abc+def ghi+jkl=asdf+qwer?abc+def=ghi+jkl",),
            "abc def ghi jkl=asdf qwer?abc def=ghi jkl",
        ),
        (
            "dataUriToString",
            ("data:text/plain;charset=utf-8;base64,JTIyaGVsbG8rd29ybGQlMjIlM0YlM2Y=",),
            "%22hello+world%22%3F%3f",
        ),
        ("dataUriToString", ("data:base64,dGVzdA==",), "test"),
        ("dataUriToString", ("data:text/plain;base64;charset=ascii,dGVzdA==",), "dGVzdA=="),
        ("dataUri", ({"a": 3},), "data:application/json;charset=utf-8;base64,eyJhIjozfQ=="),
        ("dataUri", ([1, 2, 3],), "data:application/json;charset=utf-8;base64,WzEsMiwzXQ=="),
        ("dataUri", (1,), "data:application/json;charset=utf-8;base64,MQ=="),
        ("dataUri", (True,), "data:application/json;charset=utf-8;base64,VHJ1ZQ=="),
    ],
)
def test_documented_vectors(name: str, args: tuple[object, ...], expected: object) -> None:
    assert call(name, *args) == expected


def test_binary_content_reads_back_as_text() -> None:
    content = call("base64ToBinary", call("base64", "héllo"))
    assert call("string", content) == "héllo"
    assert call("binary", content) == content
    assert call("base64", content) == call("base64", "héllo")
    assert call("dataUri", content) == "data:application/octet-stream;base64,aMOpbGxv"
    assert call("string", call("base64ToBinary", "test")) == "\ufffd\ufffd-"


@pytest.mark.parametrize("text", ["$#[<", "aa", "a b"])
def test_invalid_base64_is_an_error(text: str) -> None:
    assert "is not a valid base64 string" in failure("base64ToBinary", text)
    assert "is not a valid base64 string" in failure("base64ToString", text)


@pytest.mark.parametrize(
    "uri",
    [
        "data:;;base64,dGVzdA==",
        "data:;,test",
        "data:;;,test",
        "data:badmime;charset=utf-8,  [ 1, 2, 3 ]  ",
        "data:text/plain/epic;charset=utf-8;base64,aGVsbG8g d29ybGQ=",
        "data:application/json;charset=fake-encoding,  [ 1, 2, 3 ]  ",
        "data:text/plain;cows=moo;base64;charset=ascii;cats=cute=very,dGVzdA==",
        "data:text/plain;charset=utf-8;base64,aGVsbG8%20gd29ybGQ=",
        "hello",
        "data:no-comma",
    ],
)
def test_invalid_data_uris(uri: str) -> None:
    assert "dataUriToBinary" in failure("dataUriToBinary", uri)


@pytest.mark.parametrize("name", ["binary", "dataUri", "base64", "encodeUriComponent"])
def test_null_is_refused(name: str) -> None:
    assert "The provided value is of type 'Null'" in failure(name, None)


def test_uri_components_follow_rfc_3986() -> None:
    assert call("encodeUriComponent", "a b+c~d_e.f-g/é") == "a%20b%2Bc~d_e.f-g%2F%C3%A9"
    assert call("decodeUriComponent", "a+b%20c%zz%C3%A9") == "a+b c%zzé"
    assert call("uriComponentToBinary", "%00%FF") == binary("AP8=")
    assert call("encodeUriComponent", 42) == "42"


def test_utf_lengths() -> None:
    assert call("utf8Length", "héllo😀") == 10
    assert call("utf16Length", "héllo😀") == 7
    assert "expects its parameter to be of type string" in failure("utf8Length", 5)


@given(st.text())
def test_base64_round_trip(text: str) -> None:
    encoded = call("base64", text)
    assert call("base64ToString", encoded) == text.encode("utf-8", "surrogatepass").decode(
        "utf-8", "replace"
    )


@given(st.text())
def test_uri_component_round_trip(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert call("uriComponentToString", call("uriComponent", text)) == text
    assert call("dataUriToString", call("dataUri", text)) == text


@pytest.mark.parametrize("charset", ["base64", "hex", "x\x00y"])
def test_a_charset_that_is_not_a_text_encoding_is_refused(charset: str) -> None:
    assert "cannot decode the charset" in failure(
        "dataUriToString", f"data:text/plain;charset={charset};base64,dGVzdA=="
    )
    content = {"$content-type": f"text/plain;charset={charset}", "$content": "dGVzdA=="}
    assert call("string", content) == "test"


def test_binary_content_in_another_charset_is_decoded_with_it() -> None:
    content = {"$content-type": "text/plain;charset=utf-16-le", "$content": "aABpAA=="}
    assert call("string", content) == "hi"
    assert call("dataUriToString", "data:text/plain;charset=latin-1;base64,6Q==") == "é"
