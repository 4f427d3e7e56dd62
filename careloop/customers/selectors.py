"""Reads on customers, always scoped to the acting user (`visible_to`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Substr

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.errors import NotFound
from careloop.core.phones import InvalidPhone, normalize_phone
from careloop.customers.models import Customer, Interaction, Order

SORTS = {
    "name": "name",
    "-name": "-name",
    "registered": "registered_at",
    "-registered": "-registered_at",
    "last_order": "last_order_at",
    "-last_order": "-last_order_at",
    "orders": "order_count",
    "-orders": "-order_count",
    "spend": "lifetime_spend",
    "-spend": "-lifetime_spend",
    "created": "id",
    "-created": "-id",
}
ASCII_WORD = re.compile(r"^[A-Za-z]+$")
DIGITS = re.compile(r"^[\d\s+\-()]+$")


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    region: str = ""
    industry: str = ""
    owner: int | None = None
    tag: str = ""
    team: int | None = None
    sort: str = "-created"


def prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, in a form each engine answers from a plain b-tree index:
    a range on SQLite (binary collation), LIKE 'v%' with a pattern-ops index on PostgreSQL."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def search_q(q: str) -> Q:
    """Name, phone (full or last 4 digits), company, tag or pinyin initials (`zs` -> 张三)."""
    q = q.strip()
    if not q:
        return Q()
    if DIGITS.match(q):
        digits = re.sub(r"\D", "", q)
        if len(digits) == 4:
            return Q(phone_tail=digits)
        try:
            return Q(phone=normalize_phone(q))
        except InvalidPhone:
            return prefix("external_id", q)
    if ASCII_WORD.match(q):
        word = q.lower()
        return (
            prefix("name_initials", word)
            | prefix("name_pinyin", word)
            | prefix("external_id", q)
            | prefix("company", q)
            | Q(tags__name=q)
        )
    return (
        prefix("name", q)
        | prefix("company", q)
        | Q(tags__name=q)
        | prefix("external_id", q)
        | Q(email=q.lower())
    )


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    qs = Customer.objects.visible_to(user)
    if filters.q:
        condition = search_q(filters.q)
        # A tag match joins customers_tags; keep rows unique without DISTINCT over 1M rows.
        if "tags__name" in str(condition):
            qs = qs.filter(pk__in=Customer.objects.filter(condition).values("pk"))
        else:
            qs = qs.filter(condition)
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.industry:
        qs = qs.filter(industry=filters.industry)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    order = SORTS.get(filters.sort, "-id")
    tiebreak = "-id" if order.startswith("-") else "id"
    return qs.select_related("owner", "team").order_by(order, tiebreak)


def with_tags(customers: list[Customer]) -> list[Customer]:
    """Attach `tag_names` to a page of customers with one query (no N+1)."""
    through = Customer.tags.through
    names: dict[int, list[str]] = {c.pk: [] for c in customers}
    rows = (
        through.objects.filter(customer_id__in=names)
        .values_list("customer_id", "tag__name")
        .order_by("tag__name")
    )
    for customer_id, name in rows:
        names[customer_id].append(name)
    for c in customers:
        c.tag_names = names[c.pk]
    return customers


def customer_for(user: User, customer_id: int) -> Customer:
    """The customer if the user may see them; NotFound otherwise (no hint that it exists)."""
    customer = (
        Customer.objects.visible_to(user)
        .select_related("owner", "team")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound("客户不存在或无权查看")
    return customer


@dataclass(frozen=True)
class OrderSummary:
    first_order_at: object
    last_order_at: object
    order_count: int
    lifetime_spend: Decimal
    spend_12m: Decimal
    orders_12m: int


def customer_order_summary(customer: Customer, *, as_of: date | None = None) -> OrderSummary:
    as_of = as_of or clock.today()
    since = clock.day_start(as_of - timedelta(days=365))
    recent = Order.objects.filter(
        customer=customer, ordered_at__gte=since, ordered_at__lt=clock.day_end(as_of)
    ).aggregate(spend=Sum("amount"), n=Count("id"))
    return OrderSummary(
        first_order_at=customer.first_order_at,
        last_order_at=customer.last_order_at,
        order_count=customer.order_count,
        lifetime_spend=customer.lifetime_spend,
        spend_12m=recent["spend"] or Decimal("0"),
        orders_12m=recent["n"],
    )


# The timeline is one UNION ALL over every source of contact, sorted and paginated in SQL.
TIMELINE_FIELDS = ("entry", "ref", "at", "title", "detail", "extra")


def _timeline_sources(customer: Customer) -> list[QuerySet]:
    from careloop.complaints.models import Complaint

    orders = Order.objects.filter(customer=customer).annotate(
        entry=Value("order"),
        ref=F("id"),
        at=F("ordered_at"),
        title=F("product"),
        detail=F("external_id"),
        extra=F("amount"),
    )
    complaints = Complaint.objects.filter(customer=customer).annotate(
        entry=Value("complaint"),
        ref=F("id"),
        at=F("opened_at"),
        title=F("category"),
        detail=Substr("description", 1, 300),
        extra=F("status"),
    )
    interactions = Interaction.objects.filter(customer=customer).annotate(
        entry=F("kind"),
        ref=F("id"),
        at=F("occurred_at"),
        title=F("channel"),
        detail=Substr("text", 1, 300),
        extra=F("nps"),
    )
    return [q.values(*TIMELINE_FIELDS).order_by() for q in (orders, complaints, interactions)]


def customer_timeline(customer: Customer, *, kinds: set[str] | None = None) -> QuerySet:
    """Every contact, newest first: orders, complaints and interactions (callbacks, surveys,
    messages, notes, consultations). Paginate the result; it is one SQL statement."""
    first, *rest = _timeline_sources(customer)
    qs = first.union(*rest, all=True).order_by("-at", "-ref")
    return qs


def timeline_authors(entries: list[dict]) -> list[dict]:
    """Add survey scores and authors to a page of timeline entries with one query."""
    ids = [e["ref"] for e in entries if e["entry"] not in {"order", "complaint"}]
    extra = (
        {i.pk: i for i in Interaction.objects.filter(pk__in=ids).select_related("author")}
        if ids
        else {}
    )
    for e in entries:
        inter = extra.get(e["ref"]) if e["entry"] not in {"order", "complaint"} else None
        e["interaction"] = inter
    return entries


def duplicate_candidates(*, user: User, limit: int = 200) -> list[dict]:
    """Possible duplicates a supervisor may merge: same name and phone tail, or same email."""
    base = Customer.objects.visible_to(user)
    by_name = (
        base.exclude(phone_tail="")
        .values("name", "phone_tail")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
        .order_by("-n", "name")[:limit]
    )
    by_email = (
        base.exclude(email="")
        .values("email")
        .annotate(n=Count("id"), first=Min("id"))
        .filter(n__gt=1)
        .order_by("-n", "email")[:limit]
    )
    groups: list[dict] = []
    for row in by_name:
        members = base.filter(name=row["name"], phone_tail=row["phone_tail"])
        groups.append(
            {
                "reason": "name_phone",
                "key": f"{row['name']} · 尾号 {row['phone_tail']}",
                "members": members,
            }
        )
    for row in by_email:
        groups.append(
            {"reason": "email", "key": row["email"], "members": base.filter(email=row["email"])}
        )
    return groups
