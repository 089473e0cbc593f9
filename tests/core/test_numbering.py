import threading
from datetime import date

import pytest
from django.db import connection, transaction
from django_scopes import scope

from guanxi.core.models import DocumentNumberFormat, NumberSequence
from guanxi.core.numbering import next_number


def test_numbers_count_up_per_year_and_organisation(org, other_org):
    assert next_number(org=org, kind="widget", on=date(2026, 3, 1)) == "WG-2026-00001"
    assert next_number(org=org, kind="widget", on=date(2026, 5, 1)) == "WG-2026-00002"
    assert next_number(org=other_org, kind="widget", on=date(2026, 5, 1)) == "WG-2026-00001"
    assert next_number(org=org, kind="widget", on=date(2027, 1, 2)) == "WG-2027-00001"


def test_organisation_prefix_and_width_apply(org):
    with scope(org=org.pk):
        DocumentNumberFormat.objects.create(org=org, kind="widget", prefix="QT", width=4)
    assert next_number(org=org, kind="widget", on=date(2026, 1, 1)) == "QT-2026-0001"


def test_rolled_back_document_leaves_no_gap(org):
    next_number(org=org, kind="widget", on=date(2026, 1, 1))
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number(org=org, kind="widget", on=date(2026, 1, 1))
        raise RuntimeError("the document failed to save")
    assert next_number(org=org, kind="widget", on=date(2026, 1, 1)) == "WG-2026-00002"


def test_unknown_kind_is_an_error(org):
    with pytest.raises(KeyError):
        next_number(org=org, kind="nope", on=date(2026, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocation_hands_out_each_number_once():
    # given: eight threads, each with its own database connection, allocating at once
    from tests.factories import make_org

    org = make_org("Concurrent Co")
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def allocate() -> None:
        try:
            start.wait()
            for _ in range(5):
                with transaction.atomic():
                    results.append(next_number(org=org, kind="widget", on=date(2026, 6, 1)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then: 40 distinct, consecutive numbers and a counter at 40
    assert errors == []
    assert sorted(results) == [f"WG-2026-{n:05d}" for n in range(1, 41)]
    with scope(org=org.pk):
        assert NumberSequence.objects.get(kind="widget", year=2026).last_value == 40
