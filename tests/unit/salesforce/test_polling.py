"""The poll's question and the keyset watermark: records sharing a second, none twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from smtp_connector.salesforce.polling import (
    PollQuery,
    Watermark,
    advance,
    record_time,
    soql_datetime,
)

T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def lead(ident: str, second: int, **fields: object) -> dict[str, object]:
    stamp = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {
        "attributes": {"type": "Lead", "url": f"/services/data/v59.0/sobjects/Lead/{ident}"},
        "Id": ident,
        "CreatedDate": stamp,
        **fields,
    }


def test_salesforce_times_are_read_in_utc_and_written_as_soql_literals() -> None:
    assert record_time("2026-11-30T12:00:05.000+0000") == T0 + timedelta(seconds=5)
    assert record_time("2026-11-30T14:00:05.000+0200") == T0 + timedelta(seconds=5)
    assert record_time("2026-11-30T12:00:05Z") == T0 + timedelta(seconds=5)
    assert record_time("yesterday") is None
    assert record_time(17) is None
    local = datetime(2026, 11, 30, 13, 0, 1, 999999, tzinfo=timezone(timedelta(hours=1)))
    assert soql_datetime(local) == "2026-11-30T12:00:01Z"


def test_the_query_asks_from_the_watermarks_second_in_keyset_order() -> None:
    query = PollQuery("Lead", "CreatedDate", ("Name", "Company"), "LeadSource = 'Web'")
    assert query.soql(Watermark(T0)) == (
        "SELECT Name, Company, Id, CreatedDate FROM Lead "
        "WHERE CreatedDate >= 2026-11-30T12:00:00Z AND (LeadSource = 'Web') "
        "ORDER BY CreatedDate ASC, Id ASC"
    )
    plain = PollQuery("Lead", "LastModifiedDate", ("id", "lastmodifieddate", "Name"))
    assert plain.soql(Watermark(T0)) == (
        "SELECT id, lastmodifieddate, Name FROM Lead "
        "WHERE LastModifiedDate >= 2026-11-30T12:00:00Z ORDER BY LastModifiedDate ASC, Id ASC"
    )


def test_records_of_the_watermarks_second_already_seen_are_left_out() -> None:
    mark = Watermark(T0, frozenset({"00Q1", "00Q2"}))
    fresh, after = advance(mark, [lead("00Q1", 0), lead("00Q2", 0), lead("00Q3", 0)], "CreatedDate")
    assert [r["Id"] for r in fresh] == ["00Q3"]
    assert after == Watermark(T0, frozenset({"00Q1", "00Q2", "00Q3"}))
    assert "attributes" not in fresh[0]


def test_a_record_written_later_in_the_same_second_is_still_found_once() -> None:
    mark = Watermark(T0)
    first, mark = advance(mark, [lead("00Q5", 1)], "CreatedDate")
    # Salesforce gives the same second to a record written a moment later, with a smaller Id.
    second, mark = advance(mark, [lead("00Q4", 1), lead("00Q5", 1)], "CreatedDate")
    again, mark = advance(mark, [lead("00Q4", 1), lead("00Q5", 1)], "CreatedDate")
    assert [r["Id"] for r in first] == ["00Q5"]
    assert [r["Id"] for r in second] == ["00Q4"]
    assert again == []
    assert mark == Watermark(T0 + timedelta(seconds=1), frozenset({"00Q4", "00Q5"}))


def test_a_later_second_starts_a_new_set_of_ids() -> None:
    records = [lead("00Q1", 0), lead("00Q2", 2), lead("00Q3", 2), lead("00Q4", 3)]
    fresh, after = advance(Watermark(T0), records, "CreatedDate")
    assert [r["Id"] for r in fresh] == ["00Q1", "00Q2", "00Q3", "00Q4"]
    assert after == Watermark(T0 + timedelta(seconds=3), frozenset({"00Q4"}))


def test_without_known_ids_every_record_of_the_starting_second_counts_as_seen() -> None:
    start = Watermark.starting(T0 + timedelta(microseconds=700_000), None)
    assert start == Watermark(T0, None)
    fresh, after = advance(start, [lead("00Q1", 0), lead("00Q2", 1)], "CreatedDate")
    assert [r["Id"] for r in fresh] == ["00Q2"]
    assert after == Watermark(T0 + timedelta(seconds=1), frozenset({"00Q2"}))
    nothing, same = advance(start, [lead("00Q1", 0)], "CreatedDate")
    assert nothing == [] and same == start


def test_records_without_an_id_or_a_readable_stamp_are_skipped() -> None:
    broken = [{"Id": "00Q1"}, {"CreatedDate": "2026-11-30T12:00:01.000+0000"}, lead("00Q3", 2)]
    fresh, _after = advance(Watermark(T0), broken, "CreatedDate")
    assert [r["Id"] for r in fresh] == ["00Q3"]


def test_the_watermark_survives_its_json_form() -> None:
    for mark in (Watermark(T0, frozenset({"b", "a"}), 2), Watermark(T0, None)):
        assert Watermark.from_json(mark.to_json()) == mark
    assert Watermark.from_json(None) is None
    assert Watermark(T0).failed().failed().failures == 2
