from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import phonenumbers
import pytest
from django.db.models import Count, Max, Min, Sum

from careloop.accounts.models import Team, User
from careloop.complaints.models import Complaint
from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.customers.models import Customer, CustomerKey, Interaction, Order
from careloop.customers.services import derived_name_fields
from careloop.demo.generator import (
    DEMO_PASSWORD,
    DemoDataExists,
    demo_generate,
    demo_reset,
)

AS_OF = date(2026, 3, 15)


def snapshot() -> dict:
    """Everything generated, without database ids."""
    return {
        "customers": list(
            Customer.objects.order_by("external_id").values_list(
                "external_id", "name", "gender", "phone", "email", "birthday", "region", "city",
                "industry", "company", "owner__username", "team__code", "do_not_contact",
                "registered_at", "order_count", "lifetime_spend",
            )
        ),
        "tags": sorted(
            Customer.tags.through.objects.values_list("customer__external_id", "tag__name")
        ),
        "orders": list(
            Order.objects.order_by("external_id").values_list(
                "external_id", "customer__external_id", "ordered_at", "amount", "product", "channel"
            )
        ),
        "complaints": list(
            Complaint.objects.order_by("external_id").values_list(
                "external_id", "customer__external_id", "opened_at", "severity", "category",
                "description", "status", "resolved_at",
            )
        ),
        "interactions": sorted(
            Interaction.objects.values_list(
                "customer__external_id", "occurred_at", "kind", "channel", "text", "nps", "csat",
                "author__username",
            ),
            key=repr,
        ),
    }  # fmt: skip


@pytest.fixture
def demo(db):
    """The customers and their history only (the replayed work: test_activity.py)."""
    return demo_generate(customers=300, seed=11, as_of=AS_OF, activity=False)


def test_same_seed_gives_the_same_data(db):
    demo_generate(customers=120, seed=5, as_of=AS_OF, activity=False)
    first = snapshot()
    assert demo_reset() == 120
    assert Customer.objects.count() == Order.objects.count() == Interaction.objects.count() == 0
    demo_generate(customers=120, seed=5, as_of=AS_OF, activity=False)
    assert snapshot() == first
    demo_reset()
    demo_generate(customers=120, seed=6, as_of=AS_OF, activity=False)
    assert snapshot()["customers"] != first["customers"]


def test_summary_counts_what_was_written(demo):
    assert demo.customers == Customer.objects.count() == 300
    assert demo.orders == Order.objects.count()
    assert demo.complaints == Complaint.objects.count()
    assert demo.interactions == Interaction.objects.count()
    assert demo.business == Customer.objects.exclude(company="").count()
    assert [login.username for login in demo.logins] == [
        "admin",
        "supervisor",
        "agent1",
        "agent2",
        "agent3",
    ]


def test_creates_every_role_with_the_demo_password(demo):
    users = {u.username: u for u in User.objects.select_related("team")}
    assert users["admin"].role == "admin" and users["admin"].is_admin
    assert users["supervisor"].role == "supervisor"
    assert users["supervisor"].team.name == "华东一组"
    assert (users["agent1"].role, users["agent1"].team.name) == ("agent", "华东一组")
    assert (users["agent2"].role, users["agent2"].team.name) == ("agent", "华南一组")
    assert (users["agent3"].role, users["agent3"].team.name) == ("agent", "华北一组")
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert set(Team.objects.values_list("name", flat=True)) == {"华东一组", "华南一组", "华北一组"}
    # Customers are spread over the teams, and some are owned by an agent of their team.
    assert Customer.objects.filter(team=None).count() == 0
    owned = Customer.objects.exclude(owner=None).select_related("owner")
    assert owned.count() > 0
    assert all(c.owner.team_id == c.team_id for c in owned)


def test_keeps_existing_users(db, team_east):
    existing = User.objects.create_user(username="agent1", password="own-password", role="agent")
    demo_generate(customers=20, seed=1, as_of=AS_OF, activity=False)
    existing.refresh_from_db()
    assert existing.check_password("own-password")


def test_business_and_consumer_customers(demo):
    business = Customer.objects.exclude(company="")
    assert 0.15 <= business.count() / 300 <= 0.45
    assert all(c.company.endswith("公司") and c.industry for c in business)
    assert Customer.objects.filter(company="").count() > 150
    b2b = Order.objects.exclude(customer__company="").aggregate(s=Sum("amount"), n=Count("id"))
    b2c = Order.objects.filter(customer__company="").aggregate(s=Sum("amount"), n=Count("id"))
    # Business orders are an order of magnitude larger on average.
    assert b2b["s"] / b2b["n"] > 5 * b2c["s"] / b2c["n"]


def test_customer_fields_are_consistent(demo):
    customers = list(Customer.objects.all())
    phones = [c.phone for c in customers]
    assert len(set(phones)) == len(phones)
    for c in customers:
        assert phonenumbers.is_valid_number(phonenumbers.parse(c.phone)), c.phone
        assert c.phone_tail == c.phone[-4:]
        assert derived_name_fields(c.name) == {
            "name_initials": c.name_initials,
            "name_pinyin": c.name_pinyin,
        }
        assert c.gender in ("M", "F")
        assert c.display_name.endswith("先生" if c.gender == "M" else "女士")
        assert 2 <= len(c.name) <= 4
        assert c.registered_at is not None
    assert 0 < sum(c.do_not_contact for c in customers) < 30


def test_every_customer_has_its_key(demo):
    keys = dict(CustomerKey.objects.values_list("external_id", "customer__external_id"))
    assert len(keys) == 300
    assert all(k == v for k, v in keys.items())


def test_order_summary_matches_an_aggregate(demo):
    expected = {
        row["id"]: row
        for row in Customer.objects.values("id").annotate(
            first=Min("orders__ordered_at"),
            last=Max("orders__ordered_at"),
            count=Count("orders"),
            spend=Sum("orders__amount"),
        )
    }
    for c in Customer.objects.all():
        row = expected[c.pk]
        assert (c.first_order_at, c.last_order_at, c.order_count) == (
            row["first"],
            row["last"],
            row["count"],
        )
        assert c.lifetime_spend == (row["spend"] or Decimal(0))


def test_complaints_have_every_status_and_consistent_times(demo):
    complaints = list(Complaint.objects.all())
    assert {c.status for c in complaints} == {"open", "resolved", "closed"}
    assert {c.severity for c in complaints} <= {"A", "B", "C"}
    assert 0.04 <= len({c.customer_id for c in complaints}) / 300 <= 0.14
    for c in complaints:
        if c.status == "open":
            assert c.resolved_at is None
        else:
            assert c.opened_at < c.resolved_at
        assert c.description and c.category
    assert len({c.description for c in complaints}) > len(complaints) * 0.8


def test_survey_scores_are_in_range(demo):
    surveys = Interaction.objects.filter(kind="survey")
    assert surveys.count() > 0
    assert set(surveys.exclude(nps=None).values_list("nps", flat=True)) <= set(range(11))
    assert set(surveys.exclude(csat=None).values_list("csat", flat=True)) <= set(range(1, 6))
    assert not surveys.filter(nps=None, csat=None).exists()
    kinds = set(Interaction.objects.values_list("kind", flat=True))
    assert kinds == {"consult", "callback", "survey", "message", "suggestion"}


def test_history_ends_before_as_of(demo):
    start = clock.day_start(AS_OF)
    assert Order.objects.aggregate(m=Max("ordered_at"))["m"] < start
    assert Interaction.objects.aggregate(m=Max("occurred_at"))["m"] < start
    assert Complaint.objects.aggregate(m=Max("opened_at"))["m"] < start
    assert Complaint.objects.aggregate(m=Max("resolved_at"))["m"] < start
    assert Customer.objects.aggregate(m=Max("registered_at"))["m"] < start
    assert Order.objects.filter(amount__lte=0).count() == 0


def test_do_not_contact_customers_get_no_marketing(demo):
    opted_out = Interaction.objects.filter(customer__do_not_contact=True, kind="message")
    assert not opted_out.filter(text__contains="回T退订").exists()


def test_every_lifecycle_stage_is_present(demo):
    """The lifecycle rules of DESIGN.md §3, evaluated in Python on the generated history."""
    start = clock.day_start(AS_OF)
    days = lambda n: start - timedelta(days=n)  # noqa: E731
    orders = defaultdict(list)
    for customer_id, at, amount in Order.objects.values_list("customer_id", "ordered_at", "amount"):
        orders[customer_id].append((at, amount))
    stale = set(
        Complaint.objects.filter(status="open", opened_at__lt=days(7)).values_list(
            "customer_id", flat=True
        )
    )

    def stage(customer_id: int) -> str:
        history = orders.get(customer_id)
        if not history:
            return "prospect"
        first, last = min(a for a, _ in history), max(a for a, _ in history)
        if last < days(365):
            return "lost"
        recent = sum(m for a, m in history if a >= days(90))
        before = sum(m for a, m in history if days(180) <= a < days(90))
        if last >= days(60) and (recent * 2 <= before or customer_id in stale):
            return "churn_warning"
        if first >= days(90):
            return "new"
        return "active" if last >= days(60) else "dormant"

    stages = {stage(pk) for pk in Customer.objects.values_list("pk", flat=True)}
    assert stages == {"prospect", "new", "active", "churn_warning", "dormant", "lost"}


def test_refuses_a_second_run_and_writes_nothing(demo):
    counts = (Customer.objects.count(), Order.objects.count(), Interaction.objects.count())
    with pytest.raises(DemoDataExists):
        demo_generate(customers=10, seed=99, as_of=AS_OF)
    assert counts == (Customer.objects.count(), Order.objects.count(), Interaction.objects.count())


@pytest.mark.parametrize("size", [0, 1_000_001])
def test_size_must_be_sensible(db, size):
    with pytest.raises(DomainError) as info:
        demo_generate(customers=size, seed=1, as_of=AS_OF)
    assert info.value.field == "customers"
    assert not User.objects.exists()


def test_some_customers_registered_twice_for_the_duplicates_page(db):
    from careloop.customers.selectors import duplicate_candidates

    demo_generate(customers=1200, seed=7, as_of=date(2026, 11, 1), activity=False)
    groups = duplicate_candidates(user=User.objects.get(username="admin"))
    name_groups = [g for g in groups if g["reason"] == "name_phone"]
    assert name_groups, "the demo should contain possible duplicates to merge"
    for group in name_groups:
        phones = {c.phone for c in group["members"]}
        assert len(phones) == len(group["members"])  # same tail, different numbers
