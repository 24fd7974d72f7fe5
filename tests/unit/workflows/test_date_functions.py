"""The date and time functions, called through the registry: the reference's vectors, time
zones across daylight-saving changes, the runtime's error sentences, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_connector.workflows.expressions.context import StaticContext
from smtp_connector.workflows.expressions.errors import ExpressionEvaluationError
from smtp_connector.workflows.expressions.functions import registry

NOW = datetime(2018, 3, 1, tzinfo=UTC)


def call(name: str, *args: Any, now: datetime = NOW) -> Any:
    """``name(args...)`` evaluated with the clock at ``now``, arity checked like the evaluator."""
    function = registry.lookup(name)
    assert function is not None, name
    assert function.min_args <= len(args)
    assert function.max_args is None or len(args) <= function.max_args
    return function.impl(StaticContext(clock=now), list(args))


# Every date example of the functions reference (WORKFLOWS.md §1.5), with its documented result.
REFERENCE = [
    (("addDays", "2018-03-15T00:00:00Z", 10), "2018-03-25T00:00:00.0000000Z"),
    (("addDays", "2018-03-15T00:00:00Z", -5), "2018-03-10T00:00:00.0000000Z"),
    (("addHours", "2018-03-15T00:00:00Z", 10), "2018-03-15T10:00:00.0000000Z"),
    (("addHours", "2018-03-15T15:00:00Z", -5), "2018-03-15T10:00:00.0000000Z"),
    (("addMinutes", "2018-03-15T00:10:00Z", 10), "2018-03-15T00:20:00.0000000Z"),
    (("addMinutes", "2018-03-15T00:20:00Z", -5), "2018-03-15T00:15:00.0000000Z"),
    (("addSeconds", "2018-03-15T00:00:00Z", 10), "2018-03-15T00:00:10.0000000Z"),
    (("addSeconds", "2018-03-15T00:00:30Z", -5), "2018-03-15T00:00:25.0000000Z"),
    (("addToTime", "2018-01-01T00:00:00Z", 1, "Day"), "2018-01-02T00:00:00.0000000Z"),
    (("addToTime", "2018-01-01T00:00:00Z", 1, "Day", "D"), "Tuesday, January 2, 2018"),
    (
        ("convertFromUtc", "2018-01-01T08:00:00.0000000Z", "Pacific Standard Time"),
        "2018-01-01T00:00:00.0000000",
    ),
    (
        ("convertFromUtc", "2018-01-01T08:00:00.0000000Z", "Pacific Standard Time", "D"),
        "Monday, January 1, 2018",
    ),
    (
        ("convertTimeZone", "2018-01-01T08:00:00.0000000Z", "UTC", "Pacific Standard Time"),
        "2018-01-01T00:00:00.0000000",
    ),
    (
        ("convertToUtc", "01/01/2018 00:00:00", "Pacific Standard Time"),
        "2018-01-01T08:00:00.0000000Z",
    ),
    (
        ("convertToUtc", "01/01/2018 00:00:00", "Pacific Standard Time", "D"),
        "Monday, January 1, 2018",
    ),
    (("dayOfMonth", "2018-03-15T13:27:36Z"), 15),
    (("dayOfWeek", "2018-03-15T13:27:36Z"), 4),
    (("dayOfYear", "2018-03-15T13:27:36Z"), 74),
    (("formatDateTime", "03/15/2018 12:00:00", "yyyy-MM-ddTHH:mm:ss"), "2018-03-15T12:00:00"),
    (("startOfDay", "2018-03-15T13:30:30Z"), "2018-03-15T00:00:00.0000000Z"),
    (("startOfHour", "2018-03-15T13:30:30Z"), "2018-03-15T13:00:00.0000000Z"),
    (("startOfMonth", "2018-03-15T13:30:30Z"), "2018-03-01T00:00:00.0000000Z"),
    (("startOfMonth", "2018-03-15T13:30:30Z", "yyyy-MM-dd"), "2018-03-01"),
    (("subtractFromTime", "2018-01-02T00:00:00Z", 1, "Day"), "2018-01-01T00:00:00.0000000Z"),
    # The reference prints "Monday, January, 1, 2018": a typo; .NET 'D' has no second comma.
    (("subtractFromTime", "2018-01-02T00:00:00Z", 1, "Day", "D"), "Monday, January 1, 2018"),
    (("dateDifference", "2015-02-08", "2018-07-30"), "1268.00:00:00"),
    (("formatDateTime", "03/15/2018"), "2018-03-15T00:00:00.0000000"),
    (("formatDateTime", "01/31/2016", "dddd MMMM d"), "Sunday January 31"),
    (("formatDateTime", "01/31/2016", "dddd MMMM d", "fr-fr"), "dimanche janvier 31"),
    (("formatDateTime", "01/31/2016", "dddd MMMM d", "es-es"), "domingo enero 31"),
    (("parseDateTime", "20/10/2014", "fr-fr"), "2014-10-20T00:00:00.0000000"),
    (("parseDateTime", "20 octobre 2010", "fr-FR"), "2010-10-20T00:00:00.0000000"),
    (("parseDateTime", "martes 20 octubre 2020", "es-es"), "2020-10-20T00:00:00.0000000"),
    (("parseDateTime", "21052019", "fr-fr", "ddMMyyyy"), "2019-05-21T00:00:00.0000000"),
    (
        ("parseDateTime", "10/20/2014 15h", "en-US", "MM/dd/yyyy HH\\h"),
        "2014-10-20T15:00:00.0000000",
    ),
]


@pytest.mark.parametrize(("expression", "result"), REFERENCE)
def test_reference_vectors(expression: tuple[Any, ...], result: Any) -> None:
    assert call(*expression) == result


MARCH_1 = datetime(2018, 3, 1, tzinfo=UTC)
FEBRUARY_1 = datetime(2018, 2, 1, tzinfo=UTC)
APRIL_15 = datetime(2018, 4, 15, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "now", "result"),
    [
        (("getFutureTime", 5, "Day"), MARCH_1, "2018-03-06T00:00:00.0000000Z"),
        (("getFutureTime", 5, "Day", "D"), MARCH_1, "Tuesday, March 6, 2018"),
        (("getPastTime", 5, "Day"), FEBRUARY_1, "2018-01-27T00:00:00.0000000Z"),
        (("getPastTime", 5, "Day", "D"), FEBRUARY_1, "Saturday, January 27, 2018"),
        (("utcNow",), APRIL_15, "2018-04-15T13:00:00.0000000Z"),
        (("utcNow", "D"), APRIL_15, "Sunday, April 15, 2018"),
    ],
)
def test_reference_vectors_that_read_the_clock(
    expression: tuple[Any, ...], now: datetime, result: str
) -> None:
    assert call(*expression, now=now) == result


def test_utc_now_keeps_microseconds_and_reads_only_the_context_clock() -> None:
    now = datetime(2018, 4, 15, 13, 0, 0, 123_456, tzinfo=UTC)
    assert call("utcNow", now=now) == "2018-04-15T13:00:00.1234560Z"
    shifted = now.astimezone(UTC) + timedelta(days=400)
    assert call("utcNow", "yyyy", now=shifted) == "2019"


@pytest.mark.parametrize(
    ("unit", "result"),
    [
        ("Second", "2018-01-31T10:00:02.0000000Z"),
        ("minute", "2018-01-31T10:02:00.0000000Z"),
        ("HOUR", "2018-01-31T12:00:00.0000000Z"),
        ("Day", "2018-02-02T10:00:00.0000000Z"),
        ("Week", "2018-02-14T10:00:00.0000000Z"),
        ("Month", "2018-03-31T10:00:00.0000000Z"),
        ("Year", "2020-01-31T10:00:00.0000000Z"),
    ],
)
def test_time_units_in_any_case(unit: str, result: str) -> None:
    assert call("addToTime", "2018-01-31T10:00:00Z", 2, unit) == result


def test_month_and_year_arithmetic_clamp_the_day() -> None:
    assert call("addToTime", "2018-01-31T10:00:00Z", 1, "Month") == "2018-02-28T10:00:00.0000000Z"
    assert call("subtractFromTime", "2020-03-31", 1, "Month") == "2020-02-29T00:00:00.0000000"
    assert call("addToTime", "2020-02-29", 1, "Year") == "2021-02-28T00:00:00.0000000"
    assert call("getFutureTime", 1, "Month", now=datetime(2019, 1, 31, tzinfo=UTC)) == (
        "2019-02-28T00:00:00.0000000Z"
    )


def test_zone_less_input_stays_without_suffix() -> None:
    assert call("addDays", "03/15/2018 12:00:00", 1) == "2018-03-16T12:00:00.0000000"
    assert call("startOfHour", "2018-03-15T13:30:30") == "2018-03-15T13:00:00.0000000"
    assert call("formatDateTime", "2018-03-15T13:30:30.1234567Z") == "2018-03-15T13:30:30.1234567Z"


def test_convert_from_utc_has_no_offset_even_with_offset_specifiers() -> None:
    # Azure/logicapps#1295: 'K' prints nothing; MicrosoftDocs/azure-docs#87242: 'zzz' prints the
    # host's offset, +00:00, not the zone's.
    ts = "2022-02-01T03:41:11Z"
    assert call("convertFromUtc", ts, "Pacific Standard Time", "yyyy-MM-ddTHH:mm:ssK") == (
        "2022-01-31T19:41:11"
    )
    assert call("convertFromUtc", ts, "Cen. Australia Standard Time", "yyyy-MM-ddTHH:mm:sszzz") == (
        "2022-02-01T14:11:11+00:00"
    )


def test_an_offset_timestamp_is_converted_to_utc() -> None:
    # MicrosoftDocs/azure-docs#20703: the runtime gives '14-Dec', not '15-Dec'.
    assert call("formatDateTime", "2018-12-15T05:00:00+13:00", "dd-MMM") == "14-Dec"
    assert call("addDays", "2018-12-15T05:00:00+13:00", 1) == "2018-12-15T16:00:00.0000000+00:00"


@pytest.mark.parametrize(
    ("utc", "zone", "local"),
    [
        # Pacific: spring forward on 2018-03-11 at 10:00 UTC, fall back on 2018-11-04 at 09:00 UTC.
        ("2018-03-11T09:59:59Z", "Pacific Standard Time", "2018-03-11T01:59:59.0000000"),
        ("2018-03-11T10:00:00Z", "Pacific Standard Time", "2018-03-11T03:00:00.0000000"),
        ("2018-11-04T08:30:00Z", "Pacific Standard Time", "2018-11-04T01:30:00.0000000"),
        ("2018-11-04T09:30:00Z", "Pacific Standard Time", "2018-11-04T01:30:00.0000000"),
        # Central Europe: back from +02:00 to +01:00 on 2018-10-28 at 01:00 UTC.
        ("2018-10-28T00:30:00Z", "W. Europe Standard Time", "2018-10-28T02:30:00.0000000"),
        ("2018-10-28T01:30:00Z", "W. Europe Standard Time", "2018-10-28T02:30:00.0000000"),
        # Sydney: back from +11:00 to +10:00 on 2018-03-31 at 16:00 UTC.
        ("2018-03-31T15:59:59Z", "AUS Eastern Standard Time", "2018-04-01T02:59:59.0000000"),
        ("2018-03-31T16:00:00Z", "AUS Eastern Standard Time", "2018-04-01T02:00:00.0000000"),
        ("2018-01-01T00:00:00Z", "India Standard Time", "2018-01-01T05:30:00.0000000"),
        ("2018-01-01T00:00:00Z", "pacific standard time", "2017-12-31T16:00:00.0000000"),
        ("2018-01-01T00:00:00Z", "Europe/Paris", "2018-01-01T01:00:00.0000000"),
    ],
)
def test_convert_from_utc_across_daylight_saving_changes(utc: str, zone: str, local: str) -> None:
    assert call("convertFromUtc", utc, zone) == local
    assert call("convertTimeZone", utc, "UTC", zone) == local


def test_convert_to_utc_reads_a_repeated_hour_as_standard_time() -> None:
    # 01:30 happens twice on 2018-11-04 in Los Angeles; .NET takes the standard-time one (-08:00).
    assert call("convertToUtc", "11/04/2018 01:30:00", "Pacific Standard Time") == (
        "2018-11-04T09:30:00.0000000Z"
    )
    assert call("convertToUtc", "2018-03-11T03:00:00", "Pacific Standard Time") == (
        "2018-03-11T10:00:00.0000000Z"
    )


def test_a_skipped_local_time_is_an_error() -> None:
    with pytest.raises(ExpressionEvaluationError, match="invalid time"):
        call("convertToUtc", "03/11/2018 02:30:00", "Pacific Standard Time")
    with pytest.raises(ExpressionEvaluationError, match="convertTimeZone"):
        call("convertTimeZone", "2018-03-25T02:30:00", "W. Europe Standard Time", "UTC")


def test_convert_time_zone_between_two_zones_and_to_utc() -> None:
    ts = "2018-07-01 12:00:00"
    assert call("convertTimeZone", ts, "Eastern Standard Time", "Pacific Standard Time") == (
        "2018-07-01T09:00:00.0000000"
    )
    assert call("convertTimeZone", ts, "Eastern Standard Time", "UTC") == (
        "2018-07-01T16:00:00.0000000Z"
    )
    assert call("convertTimeZone", ts, "Eastern Standard Time", "UTC", "HH:mm") == "16:00"


def test_ticks_and_date_difference() -> None:
    assert call("ticks", "2022-09-09T10:00:00Z") == 637_983_144_000_000_000
    assert call("ticks", "0001-01-01") == 0
    assert call("ticks", "2018-03-15T00:00:00.0000001Z") - call("ticks", "2018-03-15") == 1
    assert call("dateDifference", "2018-03-15T13:00:00Z", "2018-03-15T12:29:59.5Z") == (
        "-00:30:00.5000000"
    )
    assert call("dateDifference", "2018-03-15", "2018-03-16T01:02:03") == "1.01:02:03"


def test_parse_date_time_defaults_to_en_us_and_checks_the_weekday() -> None:
    assert call("parseDateTime", "03/15/2018") == "2018-03-15T00:00:00.0000000"
    with pytest.raises(ExpressionEvaluationError, match="parseDateTime"):
        call("parseDateTime", "lundi 20 octobre 2020", "fr-fr")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            ("formatDateTime", "15/03/2020"),
            "In function 'formatDateTime', the value provided for date time string '15/03/2020' "
            "was not valid. The datetime string must match ISO 8601 format.",
        ),
        (
            ("addDays", "", 1),
            "In function 'addDays', the value provided for date time string '' was not valid. "
            "The datetime string must match ISO 8601 format.",
        ),
        (
            ("addDays", None, 1),
            "The template language function 'addDays' expects its first parameter to be of type "
            "string. The provided value is of type 'Null'. "
            "Please see https://aka.ms/logicexpressions#adddays for usage details.",
        ),
        (
            ("dayOfWeek", 5),
            "The template language function 'dayOfWeek' expects its parameter to be of type "
            "string. The provided value is of type 'Integer'. "
            "Please see https://aka.ms/logicexpressions#dayofweek for usage details.",
        ),
        (
            ("addHours", "2018-03-15", "1"),
            "The template language function 'addHours' expects its second parameter to be an "
            "integer. The provided value is of type 'String'. "
            "Please see https://aka.ms/logicexpressions#addhours for usage details.",
        ),
        (
            ("addToTime", "2018-03-15", 1, "Days"),
            "The template language function 'addToTime' expects its third parameter to be a time "
            "unit: 'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month' or 'Year'. The provided "
            "value 'Days' is not valid. "
            "Please see https://aka.ms/logicexpressions#addtotime for usage details.",
        ),
        (
            ("convertFromUtc", "2018-03-15", "Mars Standard Time"),
            "The template language function 'convertFromUtc' expects its second parameter to be "
            "a time zone name. The provided value 'Mars Standard Time' is not a valid time zone. "
            "Please see https://aka.ms/logicexpressions#convertfromutc for usage details.",
        ),
        (
            ("formatDateTime", "2018-03-15", "Q"),
            "The template language function 'formatDateTime' expects its second parameter to be "
            "a valid date and time format string. The provided value 'Q' is not valid. "
            "Please see https://aka.ms/logicexpressions#formatdatetime for usage details.",
        ),
        (
            ("formatDateTime", "2018-03-15", "D", "xx-YY"),
            "The template language function 'formatDateTime' expects its third parameter to be a "
            "locale name such as 'en-us'. The provided value 'xx-YY' is not a supported culture. "
            "Please see https://aka.ms/logicexpressions#formatdatetime for usage details.",
        ),
        (
            ("addDays", "9999-12-31", 1),
            "The template language function 'addDays' could not compute the resulting time: The "
            "added or subtracted value results in an un-representable DateTime. "
            "Please see https://aka.ms/logicexpressions#adddays for usage details.",
        ),
    ],
)
def test_error_sentences(expression: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        call(*expression)
    assert caught.value.message == message


def test_booleans_are_not_integers() -> None:
    with pytest.raises(ExpressionEvaluationError, match="integer"):
        call("addDays", "2018-03-15", True)


def test_huge_intervals_are_range_errors() -> None:
    for unit in ("Second", "Week", "Month", "Year"):
        with pytest.raises(ExpressionEvaluationError, match="un-representable"):
            call("getFutureTime", 10**20, unit)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(-36_500, 36_500),
)
def test_add_days_then_subtract_them_gives_the_timestamp_back(moment: datetime, days: int) -> None:
    ts = call("formatDateTime", moment.isoformat() + "Z")
    assert call("addDays", call("addDays", ts, days), -days) == ts
    assert call("subtractFromTime", call("addToTime", ts, days, "Day"), days, "Day") == ts


DATE_FUNCTIONS = [
    *("utcNow", "addDays", "addHours", "addMinutes", "addSeconds", "addToTime"),
    *("subtractFromTime", "getFutureTime", "getPastTime", "convertFromUtc", "convertToUtc"),
    *("convertTimeZone", "dayOfMonth", "dayOfWeek", "dayOfYear", "formatDateTime"),
    *("parseDateTime", "startOfDay", "startOfHour", "startOfMonth", "ticks", "dateDifference"),
]
argument = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789/-:.+ TZ", max_size=25),
    st.sampled_from(
        [
            *("2018-03-15T13:00:00Z", "03/11/2018 02:30", "9999-12-31", "0001-01-01", "Day"),
            *("Month", "UTC", "Pacific Standard Time", "fr-fr", "ru-RU", "o", "D", "%K", "'"),
        ]
    ),
    st.integers(-(10**20), 10**20),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=2),
)


@given(st.sampled_from(DATE_FUNCTIONS), st.data())
def test_no_other_exception_escapes(name: str, data: st.DataObject) -> None:
    function = registry.lookup(name)
    assert function is not None and function.max_args is not None
    args = data.draw(st.lists(argument, min_size=function.min_args, max_size=function.max_args))
    try:
        result = call(name, *args)
    except ExpressionEvaluationError:
        return
    assert isinstance(result, str | int)
