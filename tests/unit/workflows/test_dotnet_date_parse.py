"""Reading dates like .NET DateTime.Parse (RoundtripKind) and DateTime.ParseExact."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.dotnet_dates import (
    EN_US,
    INVARIANT,
    DateTimeFormatError,
    DateTimeParseError,
    DotNetDateTime,
    Kind,
    culture,
    format_datetime,
    parse_datetime,
    parse_exact,
)
from smtp_connector.workflows.expressions.dotnet_dates.value import MAX_TICKS

TODAY = date(2024, 5, 6)


def read(text: str, locale: str = "") -> str:
    """``text`` parsed in ``locale`` (invariant by default), printed in format ``o``."""
    return format_datetime(parse_datetime(text, culture(locale), today=TODAY), "o")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-03-15T00:00:00Z", "2018-03-15T00:00:00.0000000Z"),
        ("2018-03-15T13:27:36.1234567Z", "2018-03-15T13:27:36.1234567Z"),
        ("2018-03-15T13:27:36.5Z", "2018-03-15T13:27:36.5000000Z"),
        ("2018-03-15T13:27:36", "2018-03-15T13:27:36.0000000"),
        ("2018-03-15T13:27", "2018-03-15T13:27:00.0000000"),
        ("2018-03-15 13:27:36", "2018-03-15T13:27:36.0000000"),
        ("2018-03-15", "2018-03-15T00:00:00.0000000"),
        ("2015-02-08", "2015-02-08T00:00:00.0000000"),
        ("2018-3-5", "2018-03-05T00:00:00.0000000"),
        ("2018/03/15", "2018-03-15T00:00:00.0000000"),
        ("03/15/2018 12:00:00", "2018-03-15T12:00:00.0000000"),
        ("03/15/2018", "2018-03-15T00:00:00.0000000"),
        ("01/01/2018 00:00:00", "2018-01-01T00:00:00.0000000"),
        ("3/5/18", "2018-03-05T00:00:00.0000000"),
        ("3/5/50", "1950-03-05T00:00:00.0000000"),
        ("3/15/2018 1:30 PM", "2018-03-15T13:30:00.0000000"),
        ("3/15/2018 12:05 AM", "2018-03-15T00:05:00.0000000"),
        ("3/15/2018 3 pm", "2018-03-15T15:00:00.0000000"),
        ("Sun, 15 Apr 2018 13:00:00 GMT", "2018-04-15T13:00:00.0000000Z"),
        ("Monday, January 1, 2018", "2018-01-01T00:00:00.0000000"),
        ("January 2018", "2018-01-01T00:00:00.0000000"),
        ("15 March", "2024-03-15T00:00:00.0000000"),
        ("03/15", "2024-03-15T00:00:00.0000000"),
        ("13:45", "2024-05-06T13:45:00.0000000"),
        ("  2018-03-15  ", "2018-03-15T00:00:00.0000000"),
    ],
)
def test_invariant_forms(text: str, expected: str) -> None:
    assert read(text) == expected


def test_fractions_past_seven_digits_round_half_to_even() -> None:
    assert read("2018-03-15T00:00:00.123456789Z") == "2018-03-15T00:00:00.1234568Z"
    assert read("2018-03-15T00:00:00.00000005Z") == "2018-03-15T00:00:00.0000000Z"
    assert read("2018-03-15T00:00:00.00000015Z") == "2018-03-15T00:00:00.0000002Z"
    assert read("2018-03-15T23:59:59.99999999Z") == "2018-03-16T00:00:00.0000000Z"


def test_an_offset_is_shifted_to_the_utc_host() -> None:
    # MicrosoftDocs/azure-docs#20703: formatDateTime('2018-12-15T05:00:00+13:00','dd-MMM') is
    # '14-Dec' in the runtime: the offset input is converted, not kept.
    value = parse_datetime("2018-12-15T05:00:00+13:00", INVARIANT, today=TODAY)
    assert value.kind is Kind.LOCAL
    assert format_datetime(value, "dd-MMM") == "14-Dec"
    assert format_datetime(value, "o") == "2018-12-14T16:00:00.0000000+00:00"
    assert read("2018-03-15T10:00:00-0230") == "2018-03-15T12:30:00.0000000+00:00"
    assert read("2018-03-15T10:00:00-02") == "2018-03-15T12:00:00.0000000+00:00"


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("20/10/2014", "fr-fr", "2014-10-20T00:00:00.0000000"),
        ("20 octobre 2010", "fr-FR", "2010-10-20T00:00:00.0000000"),
        ("20 janv. 2010", "fr-FR", "2010-01-20T00:00:00.0000000"),
        ("martes 20 octubre 2020", "es-es", "2020-10-20T00:00:00.0000000"),
        ("20 de octubre de 2020", "es-es", "2020-10-20T00:00:00.0000000"),
        ("20.10.2014 15:30", "de-DE", "2014-10-20T15:30:00.0000000"),
        ("Dienstag, 20. Oktober 2020", "de-DE", "2020-10-20T00:00:00.0000000"),
        ("10/20/2014", "en-US", "2014-10-20T00:00:00.0000000"),
        ("2014-10-20", "fr-FR", "2014-10-20T00:00:00.0000000"),
    ],
)
def test_culture_forms(text: str, locale: str, expected: str) -> None:
    assert read(text, locale) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "2018",
        "13/15/2018",
        "02/30/2018",
        "2018-02-30",
        "2018-03-15T24:00:00",
        "2018-03-15T10:60:00",
        "2018-03-15T10:00:00+15:00",
        "2018-03-15T10:00:00+01:75",
        "3/15/2018 13 PM",
        "PM",
        "1:2:3:4",
        "Tuesday, January 1, 2018",
        "1/2/3/4",
        "2018-03-15 @ 10:00",
        "10000-01-01",
        "0000-01-01",
        "2018-03-15T10:00:00ZZ",
        "１２/３/２０１８",
        "x" * 300,
    ],
)
def test_rejections(text: str) -> None:
    with pytest.raises(DateTimeParseError):
        parse_datetime(text, INVARIANT, today=TODAY)


def test_an_offset_that_leaves_the_calendar_is_rejected() -> None:
    with pytest.raises(DateTimeParseError):
        parse_datetime("0001-01-01T00:00:00+01:00", INVARIANT, today=TODAY)


def exact(text: str, fmt: str, locale: str = "en-US") -> str:
    return format_datetime(parse_exact(text, fmt, culture(locale), today=TODAY), "o")


@pytest.mark.parametrize(
    ("text", "fmt", "locale", "expected"),
    [
        ("21052019", "ddMMyyyy", "fr-fr", "2019-05-21T00:00:00.0000000"),
        ("10/20/2014 15h", "MM/dd/yyyy HH\\h", "en-US", "2014-10-20T15:00:00.0000000"),
        ("2018-03-15T10:00:00.1234567Z", "o", "", "2018-03-15T10:00:00.1234567Z"),
        ("2018-03-15T10:00:00.1234567", "o", "", "2018-03-15T10:00:00.1234567"),
        ("Sun, 15 Apr 2018 13:00:00 GMT", "r", "", "2018-04-15T13:00:00.0000000Z"),
        ("2018-04-15 13:00:00Z", "u", "", "2018-04-15T13:00:00.0000000Z"),
        ("mardi 20 octobre 2020", "D", "fr-fr", "2020-10-20T00:00:00.0000000"),
        ("20.10.2014", "d", "de-DE", "2014-10-20T00:00:00.0000000"),
        ("10 PM", "h tt", "en-US", "2024-05-06T22:00:00.0000000"),
        ("12 AM", "h tt", "en-US", "2024-05-06T00:00:00.0000000"),
        ("15 MARS", "d MMMM", "fr-FR", "2024-03-15T00:00:00.0000000"),
        ("03/2018", "MM/yyyy", "en-US", "2018-03-01T00:00:00.0000000"),
        ("15", "dd", "en-US", "2024-01-15T00:00:00.0000000"),
        ("5/6/18", "M/d/yy", "en-US", "2018-05-06T00:00:00.0000000"),
        ("13:45:30.25", "HH:mm:ss.FFF", "en-US", "2024-05-06T13:45:30.2500000"),
        ("13:45:30.", "HH:mm:ss.FFF", "en-US", "2024-05-06T13:45:30.0000000"),
        ("2018-03-15 10:00Z", "yyyy-MM-dd HH:mmK", "en-US", "2018-03-15T10:00:00.0000000Z"),
        ("2018-03-15 10:00", "yyyy-MM-dd HH:mmK", "en-US", "2018-03-15T10:00:00.0000000"),
        ("Thu 15 Mar 2018", "ddd dd MMM yyyy", "en-US", "2018-03-15T00:00:00.0000000"),
        ("15 марта 2018", "d MMMM yyyy", "ru-RU", "2018-03-15T00:00:00.0000000"),
    ],
)  # fmt: skip
def test_exact_formats(text: str, fmt: str, locale: str, expected: str) -> None:
    assert exact(text, fmt, locale) == expected


def test_exact_offsets_are_shifted_to_the_utc_host() -> None:
    expected = "2018-03-15T08:00:00.0000000+00:00"
    assert exact("2018-03-15 10:00 +02:00", "yyyy-MM-dd HH:mm zzz") == expected
    assert exact("2018-03-15 10:00 +2", "yyyy-MM-dd HH:mm z") == expected
    assert exact("2018-03-15 10:00 +02", "yyyy-MM-dd HH:mm zz") == expected


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("2105201", "ddMMyyyy"),
        ("32052019", "ddMMyyyy"),
        ("21-05-2019", "ddMMyyyy"),
        ("21052019 ", "ddMMyyyy"),
        ("5/6/2018", "MM/dd/yyyy"),
        ("10/20/2014 15", "MM/dd/yyyy HH\\h"),
        ("Fri 15 Mar 2018", "ddd dd MMM yyyy"),
        ("13 PM", "h tt"),
        ("15 Foo 2018", "dd MMMM yyyy"),
        ("2018-03-15 10:00 +15:00", "yyyy-MM-dd HH:mm zzz"),
        ("15 16", "dd dd"),
    ],
)
def test_exact_rejections(text: str, fmt: str) -> None:
    with pytest.raises(DateTimeParseError):
        parse_exact(text, fmt, EN_US, today=TODAY)


def test_exact_with_a_bad_format_is_a_format_error() -> None:
    with pytest.raises(DateTimeFormatError):
        parse_exact("x", "Q", EN_US, today=TODAY)


values = st.builds(
    DotNetDateTime, st.integers(0, MAX_TICKS), st.sampled_from([Kind.UTC, Kind.UNSPECIFIED])
)


@given(values)
def test_round_trip_format_then_parse_gives_the_same_value(value: DotNetDateTime) -> None:
    text = format_datetime(value, "o")
    assert parse_datetime(text, INVARIANT, today=TODAY) == value
    assert parse_exact(text, "o", INVARIANT, today=TODAY) == value


@given(st.integers(0, MAX_TICKS))
def test_round_trip_of_a_local_value_keeps_the_instant(ticks: int) -> None:
    value = DotNetDateTime(ticks, Kind.LOCAL)
    assert parse_datetime(format_datetime(value, "o"), INVARIANT, today=TODAY) == value


@given(values, st.sampled_from(["en-US", "", "fr-FR", "de-DE", "es-ES"]))
def test_general_date_time_reads_back_to_the_second(value: DotNetDateTime, locale: str) -> None:
    where = culture(locale)
    text = format_datetime(value, "G", where)
    back = parse_datetime(text, where, today=TODAY)
    assert back.ticks == value.ticks - value.fraction
    assert back == parse_exact(text, "G", where, today=TODAY)


date_like = st.text(alphabet="0123456789/-:.,+ TZAPMapmJanuryFebSt", max_size=40)


@given(st.one_of(st.text(max_size=60), date_like), st.sampled_from(["", "en-US", "fr-FR", "es-ES"]))
def test_any_text_parses_or_raises_parse_error(text: str, locale: str) -> None:
    try:
        value = parse_datetime(text, culture(locale), today=TODAY)
    except DateTimeParseError:
        return
    assert isinstance(value, DotNetDateTime)


@given(st.one_of(st.text(max_size=30), date_like), st.text(max_size=20))
def test_any_text_and_format_parse_exactly_or_raise_date_errors(text: str, fmt: str) -> None:
    try:
        value = parse_exact(text, fmt, EN_US, today=TODAY)
    except (DateTimeParseError, DateTimeFormatError):
        return
    assert isinstance(value, DotNetDateTime)
