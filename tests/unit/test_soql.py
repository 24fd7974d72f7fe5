"""The fake Salesforce's SOQL subset (``support.soql``): tokens, syntax errors, semantics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from support.growth import growth
from support.soql import (
    MAX_DEPTH,
    MAX_QUERY_LENGTH,
    BoolOp,
    Compare,
    Not,
    SoqlError,
    compile_query,
    parse,
    tokenize,
)

SCHEMA = {
    "Lead": {
        "Id": "id",
        "Name": "string",
        "Email": "email",
        "Score__c": "double",
        "Employees": "int",
        "Converted": "boolean",
        "Birthday": "date",
        "CreatedDate": "datetime",
    }
}


WHERE = "SELECT Id FROM Lead WHERE "


def string_value(literal: str) -> Any:
    [token, _eof] = tokenize(literal)
    assert token.kind == "string"
    return token.value


def error(text: str) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        compile_query(text, SCHEMA)
    return caught.value


def run(condition: str, records: list[dict[str, Any]], order: str = "") -> list[str]:
    text = WHERE + condition + (f" ORDER BY {order}" if order else "")
    return [r["Id"] for r in compile_query(text, SCHEMA).run(records)]


# -- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r"'plain'", "plain"),
        (r"'O\'Brien'", "O'Brien"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'back\\slash'", "back\\slash"),
        (r"'a\nb\rc\td\be\ff'", "a\nb\rc\td\be\ff"),
        (r"'A\NB\RC\TD'", "A\nB\rC\tD"),
        (r"'100\% \_'", "100% _"),
        (r"'caf\u00e9'", "café"),
        ("''", ""),
    ],
)
def test_string_escapes(literal: str, value: str) -> None:
    assert string_value(literal) == value


def test_datetime_and_date_literals() -> None:
    tokens = tokenize("2024-01-02T03:04:05Z 2024-01-02T03:04:05.250+05:30 2024-02-29 -1.5 7")
    assert [(t.kind, t.value) for t in tokens[:-1]] == [
        ("datetime", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (
            "datetime",
            datetime(2024, 1, 2, 3, 4, 5, 250_000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        ("date", date(2024, 2, 29)),
        ("number", -1.5),
        ("number", 7),
    ]


# -- syntax errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("SELECT", 7, "unexpected token: '<EOF>'"),
        ("SELECT Id Lead", 11, "unexpected token: 'Lead'"),
        ("SELECT * FROM Lead", 8, "unexpected token: '*'"),
        ("SELECT COUNT() FROM Lead", 13, "unexpected token: '('"),
        ("SELECT Id, FROM Lead", 12, "unexpected token: 'FROM'"),
        ("SELECT Id FROM Lead WHERE", 26, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Name", 31, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Name == 'a'", 33, "unexpected token: '='"),
        ("SELECT Id FROM Lead WHERE Name ! 'a'", 32, "unexpected token: '!'"),
        ("SELECT Id FROM Lead WHERE Name = 'a' AND", 41, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE (Name = 'a'", 38, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Name = 'a')", 37, "unexpected token: ')'"),
        ("SELECT Id FROM Lead WHERE Name LIKE 5", 37, "unexpected token: '5'"),
        ("SELECT Id FROM Lead WHERE Name IN ()", 36, "unexpected token: ')'"),
        ("SELECT Id FROM Lead WHERE Name NOT LIKE 'a'", 36, "unexpected token: 'LIKE'"),
        ("SELECT Id FROM Lead WHERE Name = TODAY", 34, "unexpected token: 'TODAY'"),
        ("SELECT Id FROM Lead WHERE Name.First = 'a'", 31, "unexpected token: '.'"),
        ("SELECT Id FROM Lead LIMIT", 26, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead LIMIT 1.5", 27, "unexpected token: '1.5'"),
        ("SELECT Id FROM Lead LIMIT -1", 27, "unexpected token: '-1'"),
        ("SELECT Id FROM Lead ORDER Name", 27, "unexpected token: 'Name'"),
        ("SELECT Id FROM Lead ORDER BY Name NULLS", 40, "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead OFFSET 5", 21, "unexpected token: 'OFFSET'"),
        ("SELECT Id FROM Lead LIMIT 1 LIMIT 2", 29, "unexpected token: 'LIMIT'"),
        ("SELECT Id FROM Lead WHERE Score__c > 5x", 39, "unexpected token: 'x'"),
        ("SELECT Id, Name, id FROM Lead", 18, "duplicate field selected: Id"),
        ("SELECT Id FROM Lead WHERE Name < null", 34, "null is not valid with operator '<'"),
        (
            "SELECT Id FROM Lead WHERE Name = 'x",
            34,
            "unterminated string literal: missing closing quote (')",
        ),
        (
            "SELECT Id FROM Lead WHERE Name = 'x\\",
            34,
            "unterminated string literal: missing closing quote (')",
        ),
        (
            "SELECT Id FROM Lead WHERE Name = 'a\\xb'",
            36,
            "Invalid string literal: illegal escape sequence '\\x'",
        ),
        (
            "SELECT Id FROM Lead WHERE Name = '\\u12'",
            35,
            "Invalid unicode escape sequence '\\u12''",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2024-13-01T00:00:00Z",
            41,
            "invalid dateTime: 2024-13-01T00:00:00Z",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00",
            41,
            "invalid dateTime literal: use YYYY-MM-DDThh:mm:ssZ",
        ),
        ("SELECT Id FROM Lead WHERE Birthday = 2023-02-29", 38, "invalid date: 2023-02-29"),
    ],
)
def test_malformed_queries(text: str, column: int, reason: str) -> None:
    caught = error(text)
    assert caught.code == "MALFORMED_QUERY"
    caret = " " * (column - 1) + "^"
    assert caught.message == f"\n{text}\n{caret}\nERROR at Row:1:Column:{column}\n{reason}"


def test_errors_point_at_the_row_of_a_multi_line_query() -> None:
    caught = error("SELECT Id\nFROM Lead\nWHERE Nme = 'x'")
    assert caught.code == "INVALID_FIELD"
    assert caught.message.startswith("\nWHERE Nme = 'x'\n      ^\nERROR at Row:3:Column:7\n")
    assert "No such column 'Nme' on entity 'Lead'." in caught.message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "SELECT Id FROM Lead WHERE Name = 5",
            "value of filter criterion for field 'Name' must be of type string and should be "
            "enclosed in quotes",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01T00:00:00Z'",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and "
            "should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01",
            "value of filter criterion for field 'CreatedDate' must be of type dateTime and "
            "should not be enclosed in quotes",
        ),
        (
            "SELECT Id FROM Lead WHERE Converted = 'true'",
            "value of filter criterion for field 'Converted' must be of type boolean and "
            "should not be enclosed in quotes",
        ),
        ("SELECT Id FROM Lead WHERE Converted > false", "invalid operator on boolean field "),
        ("SELECT Id FROM Lead WHERE Score__c LIKE '1%'", "invalid operator on field 'Score__c'"),
        ("SELECT Id FROM Lead WHERE Id = 'short'", "invalid ID field: short"),
    ],
)
def test_literals_of_the_wrong_type(text: str, reason: str) -> None:
    caught = error(text)
    assert caught.code == "INVALID_QUERY_FILTER_OPERATOR"
    assert reason in caught.message


def test_unknown_object_and_field() -> None:
    assert error("SELECT Id FROM Contact").code == "INVALID_TYPE"
    assert error("SELECT Id FROM Lead ORDER BY Nope").code == "INVALID_FIELD"
    assert error("SELECT Nope FROM Nothing").code == "INVALID_TYPE"  # the object comes first


def test_nesting_is_bounded() -> None:
    deep_parens = WHERE + "(" * MAX_DEPTH + "Name = 'a'" + ")" * MAX_DEPTH
    assert compile_query(deep_parens, SCHEMA).where is not None
    too_deep = WHERE + "(" * (MAX_DEPTH + 1) + "Name = 'a'"
    assert "conditions nest deeper than 50 levels" in error(too_deep + ")" * 51).message
    nots = WHERE + "NOT " * (MAX_DEPTH + 1) + "Name = 'a'"
    assert "conditions nest deeper than 50 levels" in error(nots).message
    many_ands = WHERE + " AND ".join(["Name = 'a'"] * 5000)
    assert compile_query(many_ands, SCHEMA).where is not None  # long, but flat: fine


def test_length_is_bounded() -> None:
    text = WHERE + "Name = '" + "x" * MAX_QUERY_LENGTH + "'"
    assert error(text).message == "SOQL statements cannot be longer than 100,000 characters."


def test_parsing_is_linear() -> None:
    def build(n: int) -> str:
        values = ", ".join(f"'v\\'{i}'" for i in range(n))
        return WHERE + f"Name IN ({values}) OR (NOT Name LIKE '%a%')"

    assert growth(parse, build(200), build(3200)) < 64


# -- semantics -----------------------------------------------------------------------------------


def test_precedence_is_not_then_and_then_or() -> None:
    where = parse("SELECT Id FROM Lead WHERE NOT Name = 'a' OR Name = 'b' AND Name = 'c'").where
    assert isinstance(where, BoolOp) and where.op == "OR"
    left, right = where.operands
    assert isinstance(left, Not) and isinstance(left.operand, Compare)
    assert isinstance(right, BoolOp) and right.op == "AND"


def test_names_and_keywords_ignore_case() -> None:
    query = compile_query(
        "select NAME, id from lead where email like '%x' order by score__C desc nulls last", SCHEMA
    )
    assert (query.sobject, query.fields) == ("Lead", ("Name", "Id"))
    [item] = query.order_by
    assert (item.field.name, item.descending, item.nulls_last) == ("Score__c", True, True)


RECORDS: list[dict[str, Any]] = [
    {
        "Id": "a",
        "Name": "Ada",
        "Email": "Ada@Example.com",
        "Score__c": 2.5,
        "Employees": 10,
        "Converted": True,
        "Birthday": date(1815, 12, 10),
        "CreatedDate": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    },
    {
        "Id": "b",
        "Name": "bob",
        "Email": None,
        "Score__c": None,
        "Employees": 3,
        "Converted": False,
        "Birthday": None,
        "CreatedDate": datetime(2024, 1, 2, 3, 4, 6, tzinfo=UTC),
    },
    {
        "Id": "c",
        "Name": "Carol",
        "Email": "carol@example.com",
        "Score__c": 1.0,
        "Employees": 10,
        "Converted": False,
        "Birthday": date(1990, 1, 1),
        "CreatedDate": datetime(2024, 1, 2, 3, 4, 4, tzinfo=UTC),
    },
]


@pytest.mark.parametrize(
    ("condition", "ids"),
    [
        ("Name = 'ADA'", ["a"]),
        ("Name <> 'ada'", ["b", "c"]),
        ("Name > 'B'", ["b", "c"]),  # case-insensitive: 'bob' > 'B' and 'Carol' > 'B'
        ("Email != 'ada@example.com'", ["c"]),  # a null compares false
        ("Email = null", ["b"]),
        ("Email != null", ["a", "c"]),
        ("NOT Email = 'ada@example.com'", ["b", "c"]),  # two-valued logic
        ("Score__c < 2", ["c"]),
        ("Score__c >= 1", ["a", "c"]),
        ("Employees = 10.0", ["a", "c"]),
        ("Converted = true", ["a"]),
        ("Converted != false", ["a"]),
        ("Converted = null", ["b", "c"]),
        ("Converted != null", ["a"]),
        ("Birthday < 1900-01-01", ["a"]),
        ("CreatedDate > 2024-01-02T03:04:04Z", ["a", "b"]),
        ("CreatedDate = 2024-01-01T22:04:05-05:00", ["a"]),
        ("CreatedDate <= 2024-01-02T04:04:05+01:00", ["a", "c"]),
        ("Name IN ('ada', 'BOB', 'dave')", ["a", "b"]),
        ("Name NOT IN ('ada')", ["b", "c"]),
        ("Email IN ('x', null)", ["b"]),
        ("Email NOT IN ('x')", ["a", "c"]),
        ("Name LIKE 'a%'", ["a"]),
        ("Name LIKE '%O%'", ["b", "c"]),
        ("Name LIKE '_da'", ["a"]),
        ("Name LIKE 'ad'", []),
        ("Email LIKE '%@example.com'", ["a", "c"]),
        ("Email LIKE '%'", ["a", "c"]),
        ("Name = 'a' OR Name = 'bob' AND Employees = 3", ["b"]),
        ("(Name = 'ada' OR Name = 'bob') AND Employees = 10", ["a"]),
        ("NOT (Name = 'ada' OR Name = 'bob')", ["c"]),
        ("NOT NOT Name = 'ada'", ["a"]),
    ],
)
def test_conditions(condition: str, ids: list[str]) -> None:
    assert run(condition, RECORDS) == ids


def test_like_escapes_and_backtracking() -> None:
    records: list[dict[str, Any]] = [
        {"Id": "1", "Name": "100% Pure"},
        {"Id": "2", "Name": "100 Pure"},
        {"Id": "3", "Name": "a_b"},
        {"Id": "4", "Name": "axb"},
        {"Id": "5", "Name": "abcabcabd"},
    ]
    assert run("Name LIKE '100\\%%'", records) == ["1"]
    assert run("Name LIKE 'a\\_b'", records) == ["3"]
    assert run("Name LIKE 'a_b'", records) == ["3", "4"]
    assert run("Name LIKE '%abc%abd'", records) == ["5"]
    assert run("Name LIKE '%a%b%c%d'", records) == ["5"]
    assert run("Name = '100\\% Pure'", records) == ["1"]  # outside LIKE, \% is a plain %


def test_fifteen_character_ids_match_their_eighteen_character_form() -> None:
    records: list[dict[str, Any]] = [{"Id": "00Q5g0000000001EAA"}, {"Id": "00Q5g0000000002EAA"}]
    assert run("Id = '00Q5g0000000001'", records) == ["00Q5g0000000001EAA"]
    assert run("Id = '00q5g0000000001eaa'", records) == ["00Q5g0000000001EAA"]
    assert run("Id IN ('00Q5g0000000002EAA')", records) == ["00Q5g0000000002EAA"]


def test_order_by_nulls_directions_ties_and_limit() -> None:
    records: list[dict[str, Any]] = [
        {"Id": "1", "Name": "b", "Score__c": 1.0},
        {"Id": "2", "Name": "A", "Score__c": None},
        {"Id": "3", "Name": "a", "Score__c": 2.0},
        {"Id": "4", "Name": "C", "Score__c": 1.0},
    ]
    everyone = "Name != null"
    assert run(everyone, records, "Name") == ["2", "3", "1", "4"]  # case-insensitive, stable
    assert run(everyone, records, "Name DESC") == ["4", "1", "2", "3"]
    assert run(everyone, records, "Score__c") == ["2", "1", "4", "3"]  # nulls first
    assert run(everyone, records, "Score__c NULLS LAST") == ["1", "4", "3", "2"]
    assert run(everyone, records, "Score__c DESC") == ["2", "3", "1", "4"]
    assert run(everyone, records, "Score__c DESC NULLS LAST, Name DESC") == ["3", "4", "1", "2"]
    query = compile_query("SELECT Id FROM Lead ORDER BY Name DESC LIMIT 2", SCHEMA)
    assert [r["Id"] for r in query.run(records)] == ["4", "1"]
