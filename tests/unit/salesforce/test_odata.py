"""OData $filter and $select of the Salesforce trigger translated to SOQL: the grammar, the
escaping that keeps user text inside one SOQL literal, and the errors a user sees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.salesforce.odata import (
    FilterError,
    fields_in,
    filter_to_soql,
    select_fields,
)

# Control characters SOQL has no escape for; a filter holding one is refused.
REFUSED_CONTROLS = {chr(code) for code in range(0x20)} - set("\n\r\t\b\f")
# Text values for the round trips: any characters SOQL can hold, often the dangerous ones.
VALUES = st.text(
    alphabet=st.one_of(st.sampled_from("'\\\"%_\n\r\t\b\f "), st.characters()).filter(
        lambda char: char not in REFUSED_CONTROLS
    ),
    max_size=100,
)


def error(text: str) -> FilterError:
    with pytest.raises(FilterError) as caught:
        filter_to_soql(text)
    return caught.value


def odata_quote(value: str) -> str:
    """An OData string literal: single quotes, an inner quote doubled."""
    return "'" + value.replace("'", "''") + "'"


SOQL_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b"}
SOQL_ESCAPES["f"] = "\f"


def soql_unquote(literal: str, *, like: bool = False) -> list[str]:
    """The characters of one SOQL string literal, read as Salesforce reads it; with ``like``,
    ``\\%`` and ``\\_`` are plain characters and a bare ``%`` or ``_`` is a wildcard, returned
    as ``"<%>"`` or ``"<_>"``. Fails unless ``literal`` is exactly one literal."""
    assert len(literal) >= 2 and literal[0] == "'" and literal[-1] == "'"
    escapes = SOQL_ESCAPES | ({"%": "%", "_": "_"} if like else {})
    body = literal[1:-1]
    chars: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        assert char != "'", f"unescaped quote at {index} in {literal!r}"
        if char == "\\":
            chars.append(escapes[body[index + 1]])
            index += 2
        else:
            chars.append(f"<{char}>" if like and char in "%_" else char)
            index += 1
    return chars


# -- comparisons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LeadSource eq 'Web'", "LeadSource = 'Web'"),
        ("LeadSource ne 'Web'", "LeadSource != 'Web'"),
        ("Amount lt 100", "Amount < 100"),
        ("Amount le 100", "Amount <= 100"),
        ("Amount gt 100", "Amount > 100"),
        ("Amount ge 100", "Amount >= 100"),
        ("Amount EQ 100", "Amount = 100"),
        ("Amount Gt 100", "Amount > 100"),
        ("Name lt 'M'", "Name < 'M'"),
        ("  Amount   eq\t100\n", "Amount = 100"),
    ],
)
def test_comparison_operators(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email eq null", "Email = null"),
        ("Email ne null", "Email != null"),
        ("Email eq NULL", "Email = null"),
        ("IsDeleted eq true", "IsDeleted = true"),
        ("IsDeleted eq false", "IsDeleted = false"),
        ("IsDeleted ne TRUE", "IsDeleted != true"),
        ("null eq Email", "Email = null"),
    ],
)
def test_null_and_booleans(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


@pytest.mark.parametrize(
    ("text", "column"),
    [("Email lt null", 7), ("IsDeleted gt true", 11), ("IsDeleted ge false", 11)],
)
def test_null_and_booleans_only_with_eq_and_ne(text: str, column: int) -> None:
    value = text.split()[-1].lower()
    assert str(error(text)) == (
        f"{value} can only be compared with eq or ne at column {column} of the $filter."
    )
    assert error(text).column == column


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'Web' eq LeadSource", "LeadSource = 'Web'"),
        ("'Web' ne LeadSource", "LeadSource != 'Web'"),
        ("100 lt Amount", "Amount > 100"),
        ("100 le Amount", "Amount >= 100"),
        ("100 gt Amount", "Amount < 100"),
        ("100 ge Amount", "Amount <= 100"),
        ("2024-01-02 le CloseDate", "CloseDate >= 2024-01-02"),
    ],
)
def test_literal_on_the_left_is_swapped_and_mirrored(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


def test_field_to_field_is_refused() -> None:
    failure = error("Name eq Company")
    assert str(failure) == (
        "SOQL cannot compare two fields (Name and Company): compare Name with a value "
        "at column 9 of the $filter."
    )
    assert failure.column == 9


def test_value_to_value_is_refused() -> None:
    failure = error("Id eq '1' or 'a' eq 'b'")
    assert str(failure) == (
        "A comparison needs a field on one side, but both sides are values "
        "at column 14 of the $filter."
    )
    assert failure.column == 14


# -- logic and precedence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a eq 1 and b eq 2", "a = 1 AND b = 2"),
        ("a eq 1 or b eq 2", "a = 1 OR b = 2"),
        ("a eq 1 and b eq 2 and c eq 3", "a = 1 AND b = 2 AND c = 3"),
        ("a eq 1 or b eq 2 and c eq 3", "a = 1 OR (b = 2 AND c = 3)"),
        ("a eq 1 and b eq 2 or c eq 3", "(a = 1 AND b = 2) OR c = 3"),
        ("(a eq 1 or b eq 2) and c eq 3", "(a = 1 OR b = 2) AND c = 3"),
        ("a eq 1 and (b eq 2 or c eq 3)", "a = 1 AND (b = 2 OR c = 3)"),
        ("(a eq 1 and b eq 2) and c eq 3", "(a = 1 AND b = 2) AND c = 3"),
        ("((a eq 1))", "a = 1"),
        ("a eq 1 AND b eq 2 Or c eq 3", "(a = 1 AND b = 2) OR c = 3"),
    ],
)
def test_and_binds_before_or_and_parentheses_are_kept(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not a eq 1", "NOT (a = 1)"),
        ("not (a eq 1)", "NOT (a = 1)"),
        ("not(a eq 1 or b eq 2)", "NOT (a = 1 OR b = 2)"),
        ("not a eq 1 and b eq 2", "(NOT (a = 1)) AND b = 2"),
        ("not a eq 1 or b eq 2", "(NOT (a = 1)) OR b = 2"),
        ("b eq 2 and not (a eq 1 or c eq 3)", "b = 2 AND (NOT (a = 1 OR c = 3))"),
        ("not not a eq 1", "NOT (NOT (a = 1))"),
        ("NOT a eq 1", "NOT (a = 1)"),
    ],
)
def test_not(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


# -- functions


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("startswith(Company,'Acme')", "Company LIKE 'Acme%'"),
        ("endswith(Email,'@example.com')", "Email LIKE '%@example.com'"),
        ("contains(Name,'son')", "Name LIKE '%son%'"),
        ("substringof('son',Name)", "Name LIKE '%son%'"),
        ("StartsWith( Company , 'Acme' )", "Company LIKE 'Acme%'"),
        ("startswith(Company,'Acme') eq true", "Company LIKE 'Acme%'"),
        ("startswith(Company,'Acme') eq false", "(NOT Company LIKE 'Acme%')"),
        ("startswith(Company,'Acme') ne true", "(NOT Company LIKE 'Acme%')"),
        ("startswith(Company,'Acme') ne false", "Company LIKE 'Acme%'"),
        ("endswith(Email,'.org') eq false", "(NOT Email LIKE '%.org')"),
        ("contains(Name,'x') eq true", "Name LIKE '%x%'"),
        ("substringof('x',Name) eq false", "(NOT Name LIKE '%x%')"),
        ("not startswith(Company,'Acme')", "NOT (Company LIKE 'Acme%')"),
        (
            "startswith(Company,'A') eq false and Amount gt 5",
            "(NOT Company LIKE 'A%') AND Amount > 5",
        ),
        ("contains(Owner/Name,'Ada')", "Owner.Name LIKE '%Ada%'"),
    ],
)
def test_functions(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("startswith(Code,'50%')", "Code LIKE '50\\%%'"),
        ("contains(Code,'a_b')", "Code LIKE '%a\\_b%'"),
        ("endswith(Code,'%_')", "Code LIKE '%\\%\\_'"),
        ("contains(Code,'O''Brien')", "Code LIKE '%O\\'Brien%'"),
        ("contains(Path,'C:\\dir')", "Path LIKE '%C:\\\\dir%'"),
    ],
)
def test_like_patterns_escape_wildcards_and_quotes(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


def test_wildcards_outside_like_are_not_escaped() -> None:
    assert filter_to_soql("Code eq '50%_x'") == "Code = '50%_x'"


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        (
            "startswith('Acme',Company)",
            "Expected a field at column 12 of the $filter: write startswith(Field,'text').",
            12,
        ),
        (
            "startswith(Company,Name)",
            "Expected a text value in quotes at column 20 of the $filter: "
            "write startswith(Field,'text').",
            20,
        ),
        (
            "substringof(Name,'x')",
            "Expected a text value in quotes at column 13 of the $filter: "
            "write substringof('text',Field).",
            13,
        ),
        (
            "contains(Name,5)",
            "Expected a text value in quotes at column 15 of the $filter: "
            "write contains(Field,'text').",
            15,
        ),
        (
            "contains(null,'x')",
            "Expected a field at column 10 of the $filter: write contains(Field,'text').",
            10,
        ),
        (
            "contains(startswith(Name,'a'),'x')",
            "Expected a field at column 10 of the $filter: write contains(Field,'text').",
            10,
        ),
        (
            "contains(Name 'x')",
            "Unexpected text 'x' at column 15 of the $filter: "
            "expected ',' as in contains(Field,'text').",
            15,
        ),
        (
            "contains(Name,'x'",
            "Unexpected end of the $filter at column 18: "
            "expected ')' as in contains(Field,'text').",
            18,
        ),
        (
            "contains(Name,'x','y')",
            "Unexpected ',' at column 18 of the $filter: "
            "expected ')' as in contains(Field,'text').",
            18,
        ),
        (
            "tolower(Name) eq 'x'",
            "Unknown function 'tolower' at column 1 of the $filter: "
            "use startswith, endswith, contains or substringof.",
            1,
        ),
        (
            "startswith(Name,'a') eq 'x'",
            "startswith(...) can only be followed by eq true or eq false "
            "at column 22 of the $filter.",
            22,
        ),
        (
            "startswith(Name,'a') gt true",
            "startswith(...) can only be followed by eq true or eq false "
            "at column 22 of the $filter.",
            22,
        ),
        (
            "Name eq startswith(Name,'a')",
            "A function can only be compared with true or false, as in "
            "startswith(Name,'A') eq true, at column 9 of the $filter.",
            9,
        ),
    ],
)
def test_function_errors(text: str, message: str, column: int) -> None:
    failure = error(text)
    assert (str(failure), failure.column) == (message, column)


# -- string literals and injection


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name eq 'O''Brien'", "Name = 'O\\'Brien'"),
        ("Name eq ''", "Name = ''"),
        ("Name eq ''''", "Name = '\\''"),
        ("Name eq 'back\\slash'", "Name = 'back\\\\slash'"),
        ("Name eq 'end\\'", "Name = 'end\\\\'"),
        ("Name eq 'say \"hi\"'", "Name = 'say \\\"hi\\\"'"),
        ("Name eq 'a\nb\rc\td\be\ff'", "Name = 'a\\nb\\rc\\td\\be\\ff'"),
        ("Name eq 'Zoë 東京'", "Name = 'Zoë 東京'"),
        ("Name eq 'and or not eq'", "Name = 'and or not eq'"),
    ],
)
def test_string_literals_are_escaped(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


def test_injection_attempt_stays_one_literal() -> None:
    text = "Name eq 'x'' OR Id != null OR Name = ''y'"
    assert filter_to_soql(text) == "Name = 'x\\' OR Id != null OR Name = \\'y'"


def test_backslash_cannot_escape_the_closing_quote() -> None:
    # In SOQL a trailing \ would swallow the quote; doubled, the literal still ends there.
    assert filter_to_soql("Name eq 'x\\' or Id ne null") == "Name = 'x\\\\' OR Id != null"


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x0b", "\x1b", "\x1f"])
def test_control_characters_without_escape_are_refused(control: str) -> None:
    failure = error(f"Name eq 'a{control}'")
    assert str(failure) == (
        f"The control character U+{ord(control):04X} is not allowed in a text value "
        "at column 11 of the $filter."
    )
    assert failure.column == 11


def test_unterminated_string() -> None:
    failure = error("Name eq 'O''Brien")
    assert str(failure) == (
        "The text value starting at column 9 of the $filter has no closing quote."
    )
    assert failure.column == 9


# -- numbers


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0", "0"),
        ("42", "42"),
        ("-7", "-7"),
        ("3.25", "3.25"),
        ("-0.5", "-0.5"),
        ("1e5", "1e5"),
        ("1.5E-3", "1.5E-3"),
        ("2e+10", "2e+10"),
        ("007", "007"),
    ],
)
def test_valid_numbers_are_kept_as_written(literal: str, expected: str) -> None:
    assert filter_to_soql(f"Amount eq {literal}") == f"Amount = {expected}"


@pytest.mark.parametrize("literal", ["1.2.3", "1.", "1e", "1e+", "5abc", "5T", "1-2", "--1", "1:2"])
def test_invalid_numbers(literal: str) -> None:
    failure = error(f"Amount eq {literal}")
    if literal == "--1":
        assert str(failure) == "Unexpected character '-' at column 11 of the $filter."
    else:
        assert str(failure) == (
            f"'{literal}' is not a valid number, date or date-time at column 11 of the $filter."
        )
    assert failure.column == 11


def test_leading_dot_is_not_a_number() -> None:
    assert str(error("Amount eq .5")) == "Unexpected character '.' at column 11 of the $filter."


# -- dates and date-times


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.9999999Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05+02:00", "2024-01-02T01:04:05Z"),
        ("2024-01-02T03:04:05.5+02:00", "2024-01-02T01:04:05Z"),
        ("2024-01-02T01:30:00+02:00", "2024-01-01T23:30:00Z"),
        ("2024-12-31T22:00:00-05:30", "2025-01-01T03:30:00Z"),
        ("2024-01-02T03:04Z", "2024-01-02T03:04:00Z"),
        ("2024-01-02T03:04:05", "2024-01-02T03:04:05Z"),
        ("datetime'2024-01-02T03:04:05'", "2024-01-02T03:04:05Z"),
        ("datetime'2024-01-02T03:04:05.250'", "2024-01-02T03:04:05Z"),
        ("DateTime'2024-01-02T03:04'", "2024-01-02T03:04:00Z"),
        ("datetimeoffset'2024-01-02T03:04:05+01:00'", "2024-01-02T02:04:05Z"),
        ("datetimeoffset'2024-01-02T03:04:05Z'", "2024-01-02T03:04:05Z"),
        ("0005-06-07T08:09:10Z", "0005-06-07T08:09:10Z"),
    ],
)
def test_datetimes_are_printed_in_utc(literal: str, expected: str) -> None:
    assert filter_to_soql(f"CreatedDate gt {literal}") == f"CreatedDate > {expected}"


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("2024-01-02", "2024-01-02"), ("2024-02-29", "2024-02-29"), ("0001-01-01", "0001-01-01")],
)
def test_dates(literal: str, expected: str) -> None:
    assert filter_to_soql(f"CloseDate eq {literal}") == f"CloseDate = {expected}"


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("2024-13-01", "'2024-13-01' is not a valid date"),
        ("2023-02-29", "'2023-02-29' is not a valid date"),
        ("2024-01-32", "'2024-01-32' is not a valid date"),
        ("0000-01-01", "'0000-01-01' is not a valid date"),
        ("2024-13-01T00:00:00Z", "'2024-13-01T00:00:00Z' is not a valid date-time"),
        ("2024-01-02T24:00:00Z", "'2024-01-02T24:00:00Z' is not a valid date-time"),
        ("2024-01-02T03:60:00Z", "'2024-01-02T03:60:00Z' is not a valid date-time"),
        ("2024-01-02T03:04:05+24:00", "'2024-01-02T03:04:05+24:00' is not a valid date-time"),
        ("2024-01-02T03:04.5Z", "'2024-01-02T03:04.5Z' is not a valid date-time"),
        ("2024-01-02T3:04:05Z", "'2024-01-02T3:04:05Z' is not a valid date-time"),
        ("2024-01-02T03:04:05ZZ", "'2024-01-02T03:04:05ZZ' is not a valid date-time"),
        ("0001-01-01T00:00:00+01:00", "'0001-01-01T00:00:00+01:00' is not a valid date-time"),
        ("9999-12-31T23:00:00-02:00", "'9999-12-31T23:00:00-02:00' is not a valid date-time"),
        ("datetime'2024-13-01T00:00:00'", "'2024-13-01T00:00:00' is not a valid date-time"),
        ("datetime'2024-01-02'", "'2024-01-02' is not a valid date-time"),
        ("datetime'today'", "'today' is not a valid date-time"),
        ("2024-1-2", "'2024-1-2' is not a valid number, date or date-time"),
        ("2024-01-02x", "'2024-01-02x' is not a valid date-time"),
    ],
)
def test_invalid_dates_and_datetimes(literal: str, message: str) -> None:
    failure = error(f"CreatedDate gt {literal}")
    assert str(failure) == f"{message} at column 16 of the $filter."
    assert failure.column == 16


def test_unknown_typed_literal() -> None:
    failure = error("Id eq guid'0001'")
    assert str(failure) == (
        "Unexpected quote after 'guid' at column 11 of the $filter: "
        "only datetime'...' and datetimeoffset'...' are typed values."
    )
    assert failure.column == 11


# -- field names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Owner.Name eq 'Ada'", "Owner.Name = 'Ada'"),
        ("Owner/Name eq 'Ada'", "Owner.Name = 'Ada'"),
        ("Account/Owner.Name eq 'Ada'", "Account.Owner.Name = 'Ada'"),
        ("My_Field__c eq 1", "My_Field__c = 1"),
        ("Rel__r/Field2__c ne null", "Rel__r.Field2__c != null"),
        ("A.B.C.D.Name eq 1", "A.B.C.D.Name = 1"),
        ("Contains eq 'x'", "Contains = 'x'"),
    ],
)
def test_field_names(text: str, expected: str) -> None:
    assert filter_to_soql(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("Owner. eq 1", "'Owner.' is not a field name at column 1 of the $filter.", 1),
        ("Owner..Name eq 1", "'Owner..Name' is not a field name at column 1 of the $filter.", 1),
        ("Owner/1st eq 1", "'Owner/1st' is not a field name at column 1 of the $filter.", 1),
        ("_Name eq 1", "Unexpected character '_' at column 1 of the $filter.", 1),
        ("Na-me eq 1", "Unexpected character '-' at column 3 of the $filter.", 3),
        ("Name; eq 1", "Unexpected character ';' at column 5 of the $filter.", 5),
        ("Name-- eq 1", "Unexpected character '-' at column 5 of the $filter.", 5),
        ("Námé eq 1", "Unexpected character 'á' at column 2 of the $filter.", 2),
        (
            '"Name" eq 1',
            "Unexpected character '\"' at column 1 of the $filter; "
            "text values go in single quotes.",
            1,
        ),
        (
            "Lead Source eq 1",
            "Unexpected 'Source' at column 6 of the $filter: "
            "expected a comparison operator (eq, ne, lt, le, gt, ge).",
            6,
        ),
        (
            "A.B.C.D.E.Name eq 1",
            "'A.B.C.D.E.Name' follows more than 4 relationships at column 1 of the $filter.",
            1,
        ),
        (
            "Select eq 1",
            "'Select' is not a field name ('Select' is a SOQL keyword) at column 1 of the $filter.",
            1,
        ),
        (
            "Id eq 1 and Owner.From eq 1",
            "'Owner.From' is not a field name ('From' is a SOQL keyword) "
            "at column 13 of the $filter.",
            13,
        ),
        (
            "Name eq 'x' and Like eq 1",
            "'Like' is not a field name ('Like' is a SOQL keyword) at column 17 of the $filter.",
            17,
        ),
    ],
)
def test_invalid_field_names(text: str, message: str, column: int) -> None:
    failure = error(text)
    assert (str(failure), failure.column) == (message, column)


# -- syntax errors


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "The $filter is empty.", 1),
        (" \t\n ", "The $filter is empty.", 1),
        (
            "(Name eq 'x'))",
            "Unexpected ')' at column 14 of the $filter: "
            "expected 'and', 'or' or the end of the filter.",
            14,
        ),
        (
            "(Name eq 'x'",
            "Unexpected end of the $filter at column 13: expected 'and', 'or' or ')'.",
            13,
        ),
        (
            "Name eq",
            "Unexpected end of the $filter at column 8: expected a field or a value.",
            8,
        ),
        (
            "Name",
            "Unexpected end of the $filter at column 5: "
            "expected a comparison operator (eq, ne, lt, le, gt, ge).",
            5,
        ),
        (
            "Name = 'x'",
            "Unexpected character '=' at column 6 of the $filter.",
            6,
        ),
        (
            "Name eq 'x' and",
            "Unexpected end of the $filter at column 16: expected a field or a value.",
            16,
        ),
        (
            "and Name eq 'x'",
            "Unexpected 'and' at column 1 of the $filter: expected a field or a value.",
            1,
        ),
        (
            "Name eq 'x' or or Id eq 1",
            "Unexpected 'or' at column 16 of the $filter: expected a field or a value.",
            16,
        ),
        (
            "Name eq eq 'x'",
            "Unexpected 'eq' at column 9 of the $filter: expected a field or a value.",
            9,
        ),
        (
            "Name eq 'x' Id eq 1",
            "Unexpected 'Id' at column 13 of the $filter: "
            "expected 'and', 'or' or the end of the filter.",
            13,
        ),
        (
            "()",
            "Unexpected ')' at column 2 of the $filter: expected a field or a value.",
            2,
        ),
        (
            "Name eq 'x' , Id eq 1",
            "Unexpected ',' at column 13 of the $filter: "
            "expected 'and', 'or' or the end of the filter.",
            13,
        ),
        (
            "not",
            "Unexpected end of the $filter at column 4: expected a field or a value.",
            4,
        ),
        (
            "Name eq 'abc' 'def'",
            "Unexpected text 'def' at column 15 of the $filter: "
            "expected 'and', 'or' or the end of the filter.",
            15,
        ),
        (
            "Name eq\u00a0'x'",
            "Unexpected character U+00A0 at column 8 of the $filter.",
            8,
        ),
        (
            "Name eq 'x' and Id eq 1 and",
            "Unexpected end of the $filter at column 28: expected a field or a value.",
            28,
        ),
        (
            "Name eq'x'",
            "Unexpected quote after 'eq' at column 8 of the $filter: "
            "only datetime'...' and datetimeoffset'...' are typed values.",
            8,
        ),
    ],
)
def test_syntax_errors(text: str, message: str, column: int) -> None:
    failure = error(text)
    assert (str(failure), failure.message, failure.column) == (message, message, column)


def test_filter_error_is_a_value_error() -> None:
    assert isinstance(error("Name"), ValueError)


def test_long_text_in_a_message_is_shortened() -> None:
    failure = error("Name eq 'x' " + "A" * 60)
    assert str(failure) == (
        "Unexpected '" + "A" * 37 + "...' at column 13 of the $filter: "
        "expected 'and', 'or' or the end of the filter."
    )


# -- bounds


def test_longest_filter_is_accepted_and_one_more_character_is_not() -> None:
    value = "x" * (4096 - len("Name eq ''"))
    assert filter_to_soql(f"Name eq '{value}'") == f"Name = '{value}'"
    failure = error(f"Name eq '{value}x'")
    assert str(failure) == "The $filter is 4097 characters long; at most 4096 are allowed."
    assert failure.column == 4097


def test_nesting_up_to_32_is_accepted() -> None:
    assert filter_to_soql("(" * 32 + "a eq 1" + ")" * 32) == "a = 1"
    assert filter_to_soql("not " * 32 + "a eq 1") == "NOT (" * 32 + "a = 1" + ")" * 32


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("(" * 33 + "a eq 1" + ")" * 33, 33),
        ("not " * 33 + "a eq 1", 129),
        ("(not " * 17 + "a eq 1" + ")" * 17, 81),
    ],
)
def test_nesting_past_32_is_refused(text: str, column: int) -> None:
    failure = error(text)
    assert str(failure) == (
        f"The $filter nests parentheses and 'not' more than 32 deep at column {column} "
        "of the $filter."
    )
    assert failure.column == column


@pytest.mark.parametrize(
    "text",
    [
        "(" * 4000,
        "(" * 2000 + ")" * 2000,
        "not " * 1000,
        "not(" * 1000,
        "(" * 1999 + "a eq 1" + ")" * 1999,
        "contains(" * 400,
    ],
)
def test_hostile_nesting_is_refused_without_recursion_error(text: str) -> None:
    assert len(text) <= 4096
    with pytest.raises(FilterError):
        filter_to_soql(text)


def test_comparison_limit() -> None:
    two_hundred = " or ".join(["a eq 1"] * 200)
    assert filter_to_soql(two_hundred) == " OR ".join(["a = 1"] * 200)
    failure = error(two_hundred + " or startswith(a,'x')")
    assert str(failure) == (
        "The $filter has more than 200 comparisons; the one past the limit is at column 2001 "
        "of the $filter."
    )
    assert failure.column == 2001


# -- fields_in


def test_fields_in() -> None:
    text = (
        "LeadSource eq 'Web' and (Owner/Name eq 'Ada' or startswith(company,'A')) "
        "and Company ne null and 'x' eq Email and substringof('y',leadsource)"
    )
    assert fields_in(text) == ["LeadSource", "Owner.Name", "company", "Email"]


def test_fields_in_raises_like_filter_to_soql() -> None:
    with pytest.raises(FilterError) as caught:
        fields_in("Name eq Company")
    assert caught.value.column == 9


# -- select_fields


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Id,Name,Company,Email,CreatedDate", ["Id", "Name", "Company", "Email", "CreatedDate"]),
        (" Id , Name\t,Company ", ["Id", "Name", "Company"]),
        ("Id", ["Id"]),
        ("Id,Name,id,NAME,Email", ["Id", "Name", "Email"]),
        ("Owner/Name,Owner.name", ["Owner.Name"]),
        ("My_Field__c", ["My_Field__c"]),
    ],
)
def test_select_fields(text: str, expected: list[str]) -> None:
    assert select_fields(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("", "The $select is empty.", 1),
        ("  ", "The $select is empty.", 1),
        (
            "Id,,Name",
            "The $select has an empty item at column 4: "
            "remove the extra comma or write a field name.",
            4,
        ),
        (
            "Id,Name,",
            "The $select has an empty item at column 9: "
            "remove the extra comma or write a field name.",
            9,
        ),
        (
            "Id, ,Name",
            "The $select has an empty item at column 5: "
            "remove the extra comma or write a field name.",
            5,
        ),
        ("Id, First Name", "'First Name' is not a field name at column 5 of the $select.", 5),
        ("Id,*", "'*' is not a field name at column 4 of the $select.", 4),
        ("Id,Name;DROP", "'Name;DROP' is not a field name at column 4 of the $select.", 4),
        ("Id,  'Name'", "''Name'' is not a field name at column 6 of the $select.", 6),
        ("Id,Owner.", "'Owner.' is not a field name at column 4 of the $select.", 4),
        ("Id,2Name", "'2Name' is not a field name at column 4 of the $select.", 4),
        (
            "Id,FROM",
            "'FROM' is not a field name ('FROM' is a SOQL keyword) at column 4 of the $select.",
            4,
        ),
        (
            "A/B/C/D/E/F",
            "'A/B/C/D/E/F' follows more than 4 relationships at column 1 of the $select.",
            1,
        ),
        (
            "Id," * 1400,
            "The $select is 4200 characters long; at most 4096 are allowed.",
            4097,
        ),
    ],
)
def test_select_errors(text: str, message: str, column: int) -> None:
    with pytest.raises(FilterError) as caught:
        select_fields(text)
    assert (str(caught.value), caught.value.column) == (message, column)


# -- properties


@given(st.text(max_size=200))
def test_any_text_translates_or_raises_filter_error(text: str) -> None:
    try:
        result = filter_to_soql(text)
    except FilterError as failure:
        assert 1 <= failure.column <= len(text) + 1
    else:
        assert isinstance(result, str)


@given(st.text(alphabet="()', ./-:0123456789TZ+eqnotandrlgsuwihcfxNAB%_\\", max_size=120))
def test_filter_like_text_translates_or_raises_filter_error(text: str) -> None:
    try:
        result = filter_to_soql(text)
    except FilterError as failure:
        assert 1 <= failure.column <= len(text) + 1
    else:
        assert isinstance(result, str)
        assert fields_in(text) is not None


@given(VALUES)
def test_any_string_value_round_trips_as_one_soql_literal(value: str) -> None:
    soql = filter_to_soql("Name eq " + odata_quote(value))
    assert soql.startswith("Name = '")
    assert soql_unquote(soql[len("Name = ") :]) == list(value)


@given(VALUES)
def test_any_like_value_round_trips_inside_the_pattern(value: str) -> None:
    soql = filter_to_soql(f"contains(Name,{odata_quote(value)})")
    assert soql.startswith("Name LIKE '")
    assert soql_unquote(soql[len("Name LIKE ") :], like=True) == ["<%>", *value, "<%>"]
