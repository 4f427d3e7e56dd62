from datetime import date

from django.urls import reverse

from careloop.complaints import review, services
from careloop.customers.models import Interaction

from .factories import at, diagnose, frozen, make_customer, make_ticket, run_to_resolved


def _data(agent, supervisor):
    """Four complaints in November: one breached, one repeat, one reopened, one converted."""
    team = supervisor.team
    wang = make_customer("王五", team=team)
    zhou = make_customer("周六", team=team)
    with frozen("2026-11-02 09:00") as t:
        a = make_ticket(customer=wang, severity="A", category="物流延误", product="保温杯")
        t.set("2026-11-02 10:00")  # responded after 1 h
        diagnose(a, agent, "place")
        t.set("2026-11-02 12:00")
        services.complaint_sla_watch()  # nothing due: responded
        b = make_ticket(customer=wang, severity="A", category="物流延误", product="保温杯")
        t.set("2026-11-02 15:00")
        services.complaint_sla_watch()  # b breached (due 14:00)
        c = make_ticket(customer=zhou, severity="C", category="产品质量", product="电饭煲")
        diagnose(c, agent, "goods")
        run_to_resolved(c, agent)  # resolved 0 h after intake
        services.complaint_resolution_confirm(complaint=c, user=agent, satisfied=False)
        t.set("2026-11-20 10:00")
        make_ticket(customer=zhou, severity="C", category="服务态度")
    Interaction.objects.create(
        customer=zhou, kind="survey", occurred_at=at("2026-11-21 10:00"), csat=5
    )
    with frozen("2026-10-15 10:00"):
        make_ticket(customer=zhou, severity="C", category="其他")  # outside the period
    return a, b, c


def test_review_figures(db, outbox, agent_li, supervisor_zhao, django_assert_num_queries):
    _data(agent_li, supervisor_zhao)
    with django_assert_num_queries(7):  # scope, totals, five groupings
        r = review.complaint_review(
            user=supervisor_zhao, since=date(2026, 11, 1), until=date(2026, 11, 30)
        )
    assert (r.total, r.breached, r.repeat, r.reopened, r.converted) == (4, 1, 1, 1, 2)
    assert r.sla_rate == 75.0
    assert r.repeat_rate == 25.0
    assert r.reopen_rate == 100.0  # c, the only resolved one, was reopened
    assert r.conversion_rate == 50.0  # both of 周六's complaints precede the CSAT 5
    assert r.first_response_hours == 1.0  # a only (c was reopened)
    root = {row["key"]: (row["n"], row["breached"]) for row in r.by["root_cause"]}
    assert root == {"none": (2, 1), "place": (1, 0), "goods": (1, 0)}
    assert [(row["key"], row["n"]) for row in r.by["product"]] == [("保温杯", 2), ("电饭煲", 1)]
    assert [(row["key"], row["n"]) for row in r.by["month"]] == [("2026-11", 4)]
    assert [(row["label"], row["n"]) for row in r.by["team"]] == [("华东一组", 4)]


def test_review_page_numbers_drill_down_to_the_tickets(
    db, client, outbox, agent_li, supervisor_zhao
):
    _a, b, c = _data(agent_li, supervisor_zhao)
    client.force_login(supervisor_zhao)
    page = client.get(reverse("complaints:review"), {"since": "2026-11-01", "until": "2026-11-30"})
    body = page.content.decode()
    assert "投诉复盘" in body and "75.0%" in body
    breached = page.context["links"]["breached"]
    listed = client.get(breached).content.decode()
    assert listed.count('class="complaint-row"') == 1 and b.number in listed
    goods = next(r for r in page.context["report"].by["root_cause"] if r["key"] == "goods")
    listed = client.get(goods["url"]).content.decode()
    assert listed.count('class="complaint-row"') == 1 and c.number in listed
    converted = client.get(page.context["links"]["converted"]).content.decode()
    assert converted.count('class="complaint-row"') == 2


def test_review_page_is_for_supervisors(db, client, agent_li):
    client.force_login(agent_li)
    assert client.get(reverse("complaints:review")).status_code == 403
