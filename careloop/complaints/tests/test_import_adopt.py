"""Imported complaints join the workflow: number, stage, SLA clocks, repeat links (issue 7)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.complaints import services
from careloop.complaints.models import Complaint, ComplaintCounter, ComplaintEvent, SlaPolicy
from careloop.customers.models import Customer
from careloop.imports.services import import_file
from careloop.imports.tests.factories import write_csv
from careloop.webhooks.models import WebhookDelivery, WebhookEndpoint

from .factories import at, frozen, make_customer, make_ticket

HEADER = ["投诉编号", "客户编号", "投诉时间", "渠道", "等级", "类别", "描述", "状态", "解决时间"]
CLOCKS = (
    "business_hours",
    "clock_started_at",
    "first_response_hours",
    "resolution_hours",
    *services.CLOCK_COLUMNS,
)


@pytest.fixture
def c1(team_east):
    return make_customer("张伟", team=team_east, external_id="C1")


@pytest.fixture
def c2(team_east):
    return make_customer("李娜", team=team_east, external_id="C2")


def row(ext, opened, severity="B", category="产品质量", status="处理中", resolved="", cust="C1"):
    return [ext, cust, opened, "phone", severity, category, "杯子漏水", status, resolved]


def run(tmp_path, rows, **kwargs):
    result = import_file(
        kind="complaints", path=write_csv(tmp_path, [HEADER, *rows], "complaints.csv"), **kwargs
    )
    return result


def numbers():
    return dict(Complaint.objects.values_list("external_id", "number"))


def test_open_complaint_gets_number_stage_and_the_deadlines_intake_gives(
    tmp_path, outbox, c1, client, agent_li
):
    Customer.objects.filter(pk=c1.pk).update(tier="A")
    SlaPolicy.objects.create(
        severity="B",
        category="产品质量",
        tier="A",
        first_response_hours=Decimal("4"),
        resolution_hours=Decimal("16"),
        business_hours=True,
    )
    with frozen("2026-11-25 10:00"):
        result = run(tmp_path, [row("K1", "2026-11-24 17:00")])
        assert (result.created, result.error_count) == (1, 0)
        live = services.complaint_create(
            actor=None,
            customer=Customer.objects.get(pk=c1.pk),
            channel="phone",
            severity="B",
            category="产品质量",
            description="杯子漏水",
            opened_at=at("2026-11-24 17:00"),
        )
        imported = Complaint.objects.get(external_id="K1")
        assert (imported.number, imported.stage) == ("TS20261124-0001", "new")
        assert live.number == "TS20261124-0002"
        assert {f: getattr(imported, f) for f in CLOCKS} == {f: getattr(live, f) for f in CLOCKS}
        # 4 working hours from Tuesday 17:00 (09:00–18:00): 1 h that day, 3 h on Wednesday
        assert imported.first_response_due == at("2026-11-25 12:00")
        assert imported.resolution_due == at("2026-11-26 15:00")
        assert list(imported.events.values_list("kind", "at")) == [
            ("created", at("2026-11-25 10:00"))
        ]
        client.force_login(agent_li)
        body = client.get(reverse("complaints:detail", args=[imported.pk])).content.decode()
    assert "TS20261124-0001" in body
    assert body.count('data-testid="timer"') == 2
    assert "剩余 2 小时" in body and "剩余 14 小时" in body
    assert "从导入文件受理" in body


def test_resolved_and_closed_rows_get_their_stage_and_no_clock(tmp_path, outbox, c1):
    rows = [
        row("K1", "2026-11-01 09:00", status="已解决", resolved="2026-11-02 10:00"),
        row("K2", "2026-11-03 09:00", status="closed", resolved="2026-11-04 10:00"),
    ]
    with frozen("2026-11-25 10:00"):
        run(tmp_path, rows)
        counts = services.complaint_sla_watch()
    resolved, closed = Complaint.objects.order_by("opened_at")
    assert (resolved.stage, closed.stage) == ("resolved", "closed")
    assert (resolved.number, closed.number) == ("TS20261101-0001", "TS20261103-0001")
    for complaint in (resolved, closed):
        assert {f: getattr(complaint, f) for f in CLOCKS} == dict.fromkeys(CLOCKS) | {
            "business_hours": False
        }
    assert resolved.first_resolved_at == at("2026-11-02 10:00")
    assert sum(counts.values()) == 0
    assert not ComplaintEvent.objects.exclude(kind="created").exists()


def test_imported_and_live_numbers_of_a_day_never_collide(tmp_path, outbox, c1, c2):
    rows = [
        row("K3", "2026-11-25 09:30"),
        row("K2", "2026-11-25 08:00", cust="C2"),
        row("K4", "2026-11-25 07:00"),  # 2026-11-24 23:00 UTC: still the 25th in Shanghai
        row("K5", "2026-11-24 10:00", cust="C2"),
    ]
    with frozen("2026-11-25 10:00") as t:
        first = make_ticket(customer=c1, opened_at=at("2026-11-25 09:45"))
        run(tmp_path, rows)
        t.tick(minutes=5)
        last = make_ticket(customer=c2)
    assert (first.number, last.number) == ("TS20261125-0001", "TS20261125-0005")
    assert sorted(Complaint.objects.values_list("number", "external_id")) == [
        ("TS20261124-0001", "K5"),
        ("TS20261125-0001", None),  # the live intakes
        ("TS20261125-0002", "K4"),  # then the imported rows in opened_at order
        ("TS20261125-0003", "K2"),
        ("TS20261125-0004", "K3"),
        ("TS20261125-0005", None),
    ]
    assert ComplaintCounter.objects.get(day="2026-11-25").value == 5


def test_reimport_changes_nothing_and_numbers_stay(tmp_path, outbox, c1):
    rows = [row("K1", "2026-11-20 09:00"), row("K2", "2026-11-21 09:00", status="已解决")]
    with frozen("2026-11-25 10:00"):
        run(tmp_path, rows)
        before = numbers()
        again = run(tmp_path, rows)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert numbers() == before == {"K1": "TS20261120-0001", "K2": "TS20261121-0001"}
    assert ComplaintEvent.objects.filter(kind="created").count() == 2
    assert sorted(ComplaintCounter.objects.values_list("value", flat=True)) == [1, 1]


def test_dry_run_and_failed_import_write_no_number(tmp_path, outbox, c1):
    with frozen("2026-11-25 10:00"):
        live = make_ticket(customer=c1)
        dry = run(tmp_path, [row("K1", "2026-11-25 08:00")], dry_run=True)
        failed = run(tmp_path, [row("K1", "2026-11-25 08:00"), row("K2", "x")])
    assert (dry.created, dry.written) == (1, False)
    assert (failed.error_count, failed.written) == (1, False)
    assert numbers() == {live.external_id: "TS20261125-0001"}
    assert list(ComplaintCounter.objects.values_list("value", flat=True)) == [1]
    assert ComplaintEvent.objects.count() == 1  # the live intake's


def test_repeats_are_linked_like_intake(tmp_path, outbox, c1, c2):
    with frozen("2026-11-25 10:00"):
        earlier = make_ticket(customer=c1, category="产品质量", opened_at=at("2026-10-01 09:00"))
        rows = [
            row("K1", "2026-11-20 09:00"),
            row("K2", "2026-11-22 09:00"),
            row("K3", "2026-11-22 10:00", category="物流"),
            row("K4", "2026-11-22 11:00", cust="C2"),
            row("K5", "2026-05-01 09:00", category="安装"),
            row("K6", "2026-11-23 09:00", category="安装"),  # 206 days later: not a repeat
        ]
        run(tmp_path, rows)
    links = dict(Complaint.objects.values_list("external_id", "repeat_of__external_id"))
    repeat = dict(Complaint.objects.values_list("external_id", "is_repeat"))
    assert links["K1"] == earlier.external_id and links["K2"] == "K1"
    assert [links[k] for k in ("K3", "K4", "K5", "K6")] == [None] * 4
    assert [repeat[k] for k in ("K1", "K2", "K3", "K4", "K5", "K6")] == [1, 1, 0, 0, 0, 0]


def test_overdue_imports_are_recorded_by_the_watch_without_paging_or_webhooks(
    tmp_path, outbox, c1, supervisor_zhao
):
    WebhookEndpoint.objects.create(url="https://hooks.example.com/c", events=["*"], secret="s")
    rows = [
        row("OLD", "2026-11-20 09:00", severity="A"),  # due 11-20 11:00: overdue at import
        row("NEW", "2026-11-25 09:30", severity="A", category="物流"),  # due 11:30
    ]
    with frozen("2026-11-25 10:00") as t:
        run(tmp_path, rows)
        counts = services.complaint_sla_watch()
        assert services.complaint_sla_watch()["first_response_breach"] == 0  # once
        t.set("2026-11-25 11:31")
        later = services.complaint_sla_watch()
    old, new = Complaint.objects.get(external_id="OLD"), Complaint.objects.get(external_id="NEW")
    assert (counts["first_response_breach"], counts["resolution_head"]) == (1, 1)
    assert counts["imported_overdue"] == 2
    silent = old.events.exclude(kind="created")
    assert silent.count() == 6
    assert set(silent.values_list("notify_id", flat=True)) == {None}
    assert set(silent.values_list("note", flat=True)) == {"导入时已超时:仅记录,不逐条通知"}
    assert old.escalation_level == 2
    # a clock that runs out after the import escalates as for any complaint
    assert (later["first_response_breach"], later["imported_overdue"]) == (1, 0)
    breach = new.events.get(kind="first_response_breach")
    assert (breach.notify, breach.note) == (supervisor_zhao, "")
    assert list(WebhookDelivery.objects.values_list("event", "payload__number")) == [
        ("complaint.breached", new.number)
    ]


def _import_queries(tmp_path, n: int, start: int) -> int:
    rows = [
        row(
            f"Q{start + i}",
            f"2026-11-{20 + i % 2} {8 + i % 10:02d}:{i % 60:02d}",
            cust=f"C{i % 2 + 1}",
        )
        for i in range(n)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = run(tmp_path, rows)
    assert result.created == n
    return len(queries)


def test_import_query_count_does_not_grow_with_rows(tmp_path, outbox, c1, c2):
    with frozen("2026-11-25 10:00"):
        ten = _import_queries(tmp_path, 10, 0)
        hundred = _import_queries(tmp_path, 100, 100)
    # import (savepoints, id watermark, customer keys, upsert, status sync) and adoption (rows,
    # repeats, 受理 events, counters, policies, one write): 18 on SQLite, 20 on PostgreSQL
    assert ten == hundred <= 20
    assert Complaint.objects.filter(number__isnull=True).count() == 0
    assert ComplaintCounter.objects.get(day="2026-11-20").value == 55


def test_reimport_that_resolves_a_complaint_moves_its_stage_and_keeps_its_number(
    tmp_path, outbox, c1
):
    with frozen("2026-11-25 10:00") as t:
        run(tmp_path, [row("K1", "2026-11-25 09:00"), row("K2", "2026-11-25 09:10")])
        resolved = [
            row("K1", "2026-11-25 09:00", status="已解决", resolved="2026-11-25 11:00"),
            row("K2", "2026-11-25 09:10"),
        ]
        again = run(tmp_path, resolved)
        t.set("2026-12-10 10:00")
        counts = services.complaint_sla_watch()
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    k1, k2 = Complaint.objects.get(external_id="K1"), Complaint.objects.get(external_id="K2")
    assert (k1.number, k1.status, k1.stage) == ("TS20261125-0001", "resolved", "resolved")
    assert k1.first_resolved_at == at("2026-11-25 11:00")
    assert (k2.number, k2.stage) == ("TS20261125-0002", "new")
    assert counts["first_response_breach"] == 1  # K2 only: K1's clocks stopped


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL only")
def test_a_live_intake_waits_for_the_import_s_block_of_numbers(transactional_db):
    import threading
    import time
    from datetime import date

    from django.db import connections, transaction

    day, reserved, live = date(2026, 11, 25), threading.Event(), []

    def intake():
        reserved.wait()
        live.append(services.complaint_number_next(on=day))
        connections.close_all()

    other = threading.Thread(target=intake)
    other.start()
    with transaction.atomic():
        first = services._numbers_reserve([day, day, day])
        reserved.set()
        time.sleep(0.5)  # the intake is blocked on the counter row meanwhile
        assert live == []
    other.join(timeout=10)
    assert (first, live) == ({day: 1}, ["TS20261125-0004"])
