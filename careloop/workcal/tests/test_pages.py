"""The calendar page: who sees it, what it lists, and the admin's audited overrides."""

from datetime import date
from unittest import mock

import pytest
from django.urls import reverse

from careloop.accounts.models import AuditLog
from careloop.core.errors import DomainError, PermissionDenied
from careloop.workcal.models import HolidayOverride
from careloop.workcal.services import holiday_override_delete, holiday_override_set, is_working_day

pytestmark = pytest.mark.django_db


def on(day: date):
    return mock.patch("careloop.core.clock.today", return_value=day)


def test_agent_gets_403(client, agent_li):
    client.force_login(agent_li)
    assert client.get(reverse("workcal:holidays")).status_code == 403
    response = client.post(reverse("workcal:override_set"), {"day": "2026-12-31", "kind": "off"})
    assert response.status_code == 403
    assert not HolidayOverride.objects.exists()


def test_supervisor_sees_holidays_make_up_days_and_care_holidays(
    client, supervisor_zhao, django_assert_num_queries
):
    client.force_login(supervisor_zhao)
    with on(date(2026, 1, 10)), django_assert_num_queries(4):  # session, user, team, overrides
        response = client.get(reverse("workcal:holidays"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "2026-02-15 — 2026-02-23" in html  # the 9-day Spring Festival break
    assert "2026-02-14(星期六)" in html and "2026-02-28(星期六)" in html  # 调休
    # 春节 清明 劳动节 端午 中秋 国庆 + 5 make-up days (Jan 4 is before the start)
    assert html.count('class="period-row"') == 11
    assert "2027 年的国务院放假安排尚未内置" in html
    assert html.count('class="care-row"') == 4  # 春节, 端午, 中秋 2026 and 元旦 2027
    assert "添加或修改一天" not in html  # supervisors read only


def test_admin_adds_an_override_and_it_is_audited(client, admin_wang):
    client.force_login(admin_wang)
    response = client.post(
        reverse("workcal:override_set"),
        {"day": "2027-02-20", "kind": "work", "name": "春节调休"},
    )
    assert response.status_code == 302
    override = HolidayOverride.objects.get()
    assert (override.day, override.is_working_day, override.name) == (
        date(2027, 2, 20),
        True,
        "春节调休",
    )
    assert is_working_day(date(2027, 2, 20))
    entry = AuditLog.objects.get(action="holiday_override.set")
    assert entry.actor == admin_wang
    assert entry.detail["day"] == "2027-02-20"
    assert entry.action_label == "设置节假日/调休"
    with on(date(2027, 1, 5)):
        html = client.get(reverse("workcal:holidays")).content.decode()
    assert "春节调休" in html and "已保存 2027-02-20 的安排" in html


def test_admin_replaces_and_deletes_an_override(client, admin_wang):
    client.force_login(admin_wang)
    client.post(reverse("workcal:override_set"), {"day": "2026-03-02", "kind": "off"})
    client.post(reverse("workcal:override_set"), {"day": "2026-03-02", "kind": "work"})
    override = HolidayOverride.objects.get()
    assert override.is_working_day is True
    assert AuditLog.objects.filter(action="holiday_override.set").count() == 2
    response = client.post(reverse("workcal:override_delete", args=[override.pk]))
    assert response.status_code == 302
    assert not HolidayOverride.objects.exists()
    deleted = AuditLog.objects.get(action="holiday_override.delete")
    assert deleted.detail == {"day": "2026-03-02", "is_working_day": True, "name": ""}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"day": "2026-13-01", "kind": "off"}, "日期"),
        ({"day": "", "kind": "off"}, "日期"),
        ({"day": "2026-12-01", "kind": "maybe"}, "安排"),
        ({"day": "1999-12-01", "kind": "off"}, "日期须在 2000–2100 年之间"),
    ],
)
def test_bad_form_input_is_refused_in_chinese(client, admin_wang, data, message):
    client.force_login(admin_wang)
    response = client.post(reverse("workcal:override_set"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not HolidayOverride.objects.exists()
    assert not AuditLog.objects.exists()


def test_services_refuse_non_admins(supervisor_zhao, admin_wang):
    with pytest.raises(PermissionDenied):
        holiday_override_set(actor=supervisor_zhao, day=date(2026, 3, 2), is_working_day=False)
    override = holiday_override_set(actor=admin_wang, day=date(2026, 3, 2), is_working_day=False)
    with pytest.raises(PermissionDenied):
        holiday_override_delete(actor=supervisor_zhao, override_id=override.pk)
    with pytest.raises(DomainError, match="名称最多"):
        holiday_override_set(
            actor=admin_wang, day=date(2026, 3, 3), is_working_day=False, name="长" * 65
        )
