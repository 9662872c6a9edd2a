"""services/results.py: the one query builder and reader of the gateway's result list."""

from __future__ import annotations

from datetime import date

import pytest

from cafe24.calls import LIST_DISPLAY_DEFAULT, LIST_DISPLAY_MAX
from smsform.services import results
from tests.support import valid_send

# -- build_query: one builder, two readings ------------------------------------------------


@pytest.mark.parametrize("reading", [results.PAGE, results.WIRE], ids=["page", "wire"])
def test_both_readings_keep_the_gateways_ranges(reading):
    query = results.build_query({"displayNo": "500", "day": "30", "startNo": "-5",
                                 "sendType": "RESERVE", "sendStatus": "f",
                                 "smsType": "LMS"}, reading)
    assert (query.display, query.day, query.start) == (LIST_DISPLAY_MAX, 7, 0)
    assert (query.send_type, query.status, query.lms) == ("reserve", "F", True)
    assert results.build_query({"displayNo": "0", "day": "0"}, reading).display == 1


def test_defaults_differ_by_reading_only_in_rows_per_page():
    assert results.build_query({}, results.PAGE).display == 20
    assert results.build_query({}, results.WIRE).display == LIST_DISPLAY_DEFAULT


@pytest.mark.parametrize("field", ["startNo", "displayNo"])
def test_paging_that_is_no_number_falls_back_on_a_page_and_is_refused_on_the_wire(field):
    assert results.build_query({field: "x"}, results.PAGE) is not None
    with pytest.raises(results.BadPaging):
        results.build_query({field: "x"}, results.WIRE)


@pytest.mark.parametrize("fields", [{"date": "2026-13-40"}, {"date": "yesterday"},
                                    {"day": "two"}])
def test_a_window_that_cannot_be_read_lists_nothing_on_the_wire_and_today_on_a_page(fields):
    assert results.build_query(fields, results.WIRE) is None
    query = results.build_query(fields, results.PAGE)
    assert (query.date, query.day) == (None, 1)


def test_a_page_reads_its_date_fields_dashes_and_its_numbers_as_numbers():
    query = results.build_query({"date": "2026-12-01", "receivePhone": "01022223333",
                                 "sendPhone": "not a number"}, results.PAGE)
    assert query.date == date(2026, 12, 1)
    assert (query.receive_phone, query.send_phone) == ("010-2222-3333", "")
    wire = results.build_query({"receivePhone": " 01022223333 "}, results.WIRE)
    assert wire.receive_phone == "01022223333"  # as the site typed it, for the gateway


# -- read: LIST_DISPLAY_MAX rows a call, each call metered ---------------------------------


@pytest.fixture
def listed_120(admin_client, backend, clock):
    """120 settled SMS to 120 numbers, and the list calls made so far."""
    numbers = ",".join(f"010-5000-{i:04d}" for i in range(120))
    assert admin_client.post("/smssend", data=valid_send(rphone=numbers)).status_code == 200
    return backend


def _list_calls(backend) -> list[tuple[str, str]]:
    return [(c.fields["startNo"], c.fields["displayNo"]) for c in backend.calls
            if c.path == "/sms_list.php"]


def test_read_pages_the_list_at_most_fifty_rows_a_call(app, listed_120):
    with app.app_context():
        listing = results.read(results.build_query({}, results.WIRE), 1000)
    assert (listing.total, len(listing.rows), listing.calls) == (120, 120, 3)
    assert _list_calls(listed_120) == [("0", "50"), ("50", "50"), ("100", "50")]
    assert len({item.row.receive_phone for item in listing.rows}) == 120


def test_read_from_a_start_asks_only_for_the_rows_it_wants(app, listed_120):
    query = results.build_query({"startNo": "30"}, results.WIRE)
    with app.app_context():
        listing = results.read(query, 60)
    assert len(listing.rows) == 60
    assert _list_calls(listed_120) == [("30", "50"), ("80", "10")]


def test_read_counts_each_call_and_stops_when_the_meter_refuses(app, listed_120):
    answers = iter([0, 7])
    with app.app_context(), pytest.raises(results.TooManyCalls) as refused:
        results.read(results.build_query({}, results.WIRE), 1000, lambda: next(answers))
    assert refused.value.wait == 7
    assert _list_calls(listed_120) == [("0", "50")]  # the refused call was never made
