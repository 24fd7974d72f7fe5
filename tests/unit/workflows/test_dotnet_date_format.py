""".NET date format strings: every standard format, every custom specifier, literals, cultures."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.dotnet_dates import (
    EN_US,
    INVARIANT,
    DateTimeFormatError,
    DotNetDateTime,
    Kind,
    culture,
    format_datetime,
)

# The .NET documentation's sample instant, with a fraction that has trailing zeros.
LATE = DotNetDateTime.from_parts(2009, 6, 15, 13, 45, 30, 6_175_400, Kind.UTC)
# Single-digit fields everywhere, to show padding (a Friday, in the morning).
EARLY = DotNetDateTime.from_parts(2009, 6, 5, 8, 4, 3, 500_000, Kind.UNSPECIFIED)


SHORT_TIME = (
    "Monday, June 15, 2009 1:45 PM",
    "Monday, 15 June 2009 13:45",
    "lundi 15 juin 2009 13:45",
)
FULL = (
    "Monday, June 15, 2009 1:45:30 PM",
    "Monday, 15 June 2009 13:45:30",
    "lundi 15 juin 2009 13:45:30",
)


@pytest.mark.parametrize(
    ("fmt", "en_us", "invariant", "fr_fr"),
    [
        ("d", "6/15/2009", "06/15/2009", "15/06/2009"),
        ("D", "Monday, June 15, 2009", "Monday, 15 June 2009", "lundi 15 juin 2009"),
        ("f", *SHORT_TIME),
        ("F", *FULL),
        ("g", "6/15/2009 1:45 PM", "06/15/2009 13:45", "15/06/2009 13:45"),
        ("G", "6/15/2009 1:45:30 PM", "06/15/2009 13:45:30", "15/06/2009 13:45:30"),
        ("M", "June 15", "June 15", "15 juin"),
        ("m", "June 15", "June 15", "15 juin"),
        ("t", "1:45 PM", "13:45", "13:45"),
        ("T", "1:45:30 PM", "13:45:30", "13:45:30"),
        ("U", *FULL),
        ("Y", "June 2009", "2009 June", "juin 2009"),
        ("y", "June 2009", "2009 June", "juin 2009"),
    ],
)  # fmt: skip
def test_standard_formats_of_the_culture(fmt: str, en_us: str, invariant: str, fr_fr: str) -> None:
    assert format_datetime(LATE, fmt, EN_US) == en_us
    assert format_datetime(LATE, fmt, INVARIANT) == invariant
    assert format_datetime(LATE, fmt, culture("fr-FR")) == fr_fr


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("O", "2009-06-15T13:45:30.6175400Z"),
        ("o", "2009-06-15T13:45:30.6175400Z"),
        ("R", "Mon, 15 Jun 2009 13:45:30 GMT"),
        ("r", "Mon, 15 Jun 2009 13:45:30 GMT"),
        ("s", "2009-06-15T13:45:30"),
        ("u", "2009-06-15 13:45:30Z"),
    ],
)
def test_standard_formats_that_ignore_the_culture(fmt: str, text: str) -> None:
    for where in (EN_US, INVARIANT, culture("fr-FR"), culture("ja-JP")):
        assert format_datetime(LATE, fmt, where) == text


def test_round_trip_suffix_follows_the_kind() -> None:
    assert format_datetime(EARLY, "o") == "2009-06-05T08:04:03.0500000"
    assert format_datetime(EARLY.with_kind(Kind.UTC), "o") == "2009-06-05T08:04:03.0500000Z"
    # Local is the host's zone; Logic Apps hosts run on UTC.
    assert format_datetime(EARLY.with_kind(Kind.LOCAL), "o") == "2009-06-05T08:04:03.0500000+00:00"


@pytest.mark.parametrize(
    ("fmt", "early", "late"),
    [
        ("%d", "5", "15"),
        ("dd", "05", "15"),
        ("ddd", "Fri", "Mon"),
        ("dddd", "Friday", "Monday"),
        ("ddddd", "Friday", "Monday"),
        ("%f", "0", "6"),
        ("ff", "05", "61"),
        ("fff", "050", "617"),
        ("ffff", "0500", "6175"),
        ("fffffff", "0500000", "6175400"),
        ("%F", "", "6"),
        ("FF", "05", "61"),
        ("FFFFFFF", "05", "61754"),
        ("%g", "A.D.", "A.D."),
        ("gg", "A.D.", "A.D."),
        ("%h", "8", "1"),
        ("hh", "08", "01"),
        ("%H", "8", "13"),
        ("HH", "08", "13"),
        ("HHH", "08", "13"),
        ("%K", "", "Z"),
        ("%m", "4", "45"),
        ("mm", "04", "45"),
        ("%M", "6", "6"),
        ("MM", "06", "06"),
        ("MMM", "Jun", "Jun"),
        ("MMMM", "June", "June"),
        ("%s", "3", "30"),
        ("ss", "03", "30"),
        ("%t", "A", "P"),
        ("tt", "AM", "PM"),
        ("%y", "9", "9"),
        ("yy", "09", "09"),
        ("yyy", "2009", "2009"),
        ("yyyy", "2009", "2009"),
        ("yyyyy", "02009", "02009"),
        ("%z", "+0", "+0"),
        ("zz", "+00", "+00"),
        ("zzz", "+00:00", "+00:00"),
    ],
)
def test_custom_specifiers_one_by_one(fmt: str, early: str, late: str) -> None:
    assert format_datetime(EARLY, fmt) == early
    assert format_datetime(LATE, fmt) == late


def test_an_all_zero_F_fraction_drops_its_decimal_point() -> None:
    whole = DotNetDateTime.from_parts(2009, 6, 15, 13, 45, 30)
    assert format_datetime(whole, "HH:mm:ss.FFF") == "13:45:30"
    assert format_datetime(LATE, "HH:mm:ss.FFF") == "13:45:30.617"
    assert format_datetime(whole, "HH:mm:ss.fff") == "13:45:30.000"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yyyy-MM-ddTHH:mm:ss", "2009-06-15T13:45:30"),
        ("HH 'h' mm", "13 h 45"),
        ('HH "o\'clock"', "13 o'clock"),
        ("'It''s' HH", "Its 13"),
        ("\\d\\a\\y d", "day 15"),
        ("'a\\'b'", "a'b"),
        ("%d%M", "156"),
        ("%%d", None),
        ("HH:mm", "13:45"),
        ("dd/MM/yyyy", "15/06/2009"),
        ("#yyyy# [MM]", "#2009# [06]"),
    ],
)
def test_literals_escapes_and_percent(fmt: str, text: str | None) -> None:
    if text is None:
        with pytest.raises(DateTimeFormatError):
            format_datetime(LATE, fmt)
    else:
        assert format_datetime(LATE, fmt) == text


def test_separators_are_the_cultures() -> None:
    german = culture("de-DE")
    assert format_datetime(EARLY, "dd/MM/yyyy HH:mm", german) == "05.06.2009 08:04"
    assert format_datetime(EARLY, "d", german) == "05.06.2009"
    assert format_datetime(EARLY, "dd'/'MM", german) == "05/06"


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("fr-fr", "vendredi juin 5"),
        ("es-es", "viernes junio 5"),
        ("de-de", "Freitag Juni 5"),
        ("en-us", "Friday June 5"),
    ],
)
def test_day_and_month_names_in_other_languages(locale: str, text: str) -> None:
    assert format_datetime(EARLY, "dddd MMMM d", culture(locale)) == text


def test_a_month_next_to_a_day_number_takes_the_genitive() -> None:
    russian = culture("ru-RU")
    assert format_datetime(EARLY, "d MMMM", russian) == "5 июня"
    assert format_datetime(EARLY, "MMMM yyyy", russian) == "июнь 2009"


def test_am_pm_designators_come_from_the_culture() -> None:
    # CLDR separates the Spanish designator with a narrow no-break space.
    assert format_datetime(LATE, "h:mm tt", culture("es-ES")) == "1:45 p.\u202fm."
    assert format_datetime(EARLY, "tt", culture("ja-JP")) == "午前"


@pytest.mark.parametrize(
    "fmt", ["Q", "x", "1", " ", "'open", "HH\\", "HH%", "ffffffff", "FFFFFFFF"]
)
def test_bad_formats_raise_format_error(fmt: str) -> None:
    with pytest.raises(DateTimeFormatError):
        format_datetime(LATE, fmt)


def test_an_empty_format_is_general_like_dotnet() -> None:
    assert format_datetime(LATE, "") == "6/15/2009 1:45:30 PM"


@given(st.text(max_size=40))
def test_any_format_string_formats_or_raises_format_error(fmt: str) -> None:
    try:
        text = format_datetime(LATE, fmt)
    except DateTimeFormatError:
        return
    assert isinstance(text, str)
