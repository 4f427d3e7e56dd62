"""Reads on customers, always scoped to the acting user (`visible_to`)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Substr
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.core import clock
from careloop.core.errors import DomainError, NotFound
from careloop.core.phones import InvalidPhone, normalize_phone
from careloop.customers.models import Customer, CustomerKey, Interaction, Order, Tag

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
    # Segment fields (careloop.segments); customers not yet segmented sort last.
    "health": "health",
    "-health": "-health",
    "churn": "churn_risk",
    "-churn": "-churn_risk",
    "r": "r_score",
    "-r": "-r_score",
    "f": "f_score",
    "-f": "-f_score",
    "m": "m_score",
    "-m": "-m_score",
}
NULLABLE_SORTS = {"health", "churn_risk", "r_score", "f_score", "m_score"}
ASCII_WORD = re.compile(r"^[A-Za-z]+$")
DIGITS = re.compile(r"^[\d\s+\-()]+$")


@dataclass(frozen=True)
class CustomerFilters:
    """What the customer list filters on. A saved segment (`segments.SavedSegment.filters`)
    stores the fields in `SAVED_FILTER_FIELDS`; `segment` applies one by id."""

    q: str = ""
    region: str = ""
    city: str = ""
    industry: str = ""
    gender: str = ""  # "M", "F" or "none" (unknown)
    owner: int | None = None
    tag: str = ""
    team: int | None = None
    do_not_contact: bool | None = None
    lifecycle: str = ""
    tier: str = ""  # "A", "B", "C" or "none"
    value_class: str = ""
    segment: int | None = None  # a SavedSegment the user may see
    # Lifecycle transition between two segment snapshots (e.g. dormant on `since` → active on
    # `until`), the customers behind a number on the segments page.
    moved_from: str = ""
    moved_to: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = "-created"


# The filters a saved segment keeps (no sort, no snapshot dates, no nested segment).
SAVED_FILTER_FIELDS = (
    "q",
    "region",
    "city",
    "industry",
    "gender",
    "owner",
    "tag",
    "team",
    "do_not_contact",
    "lifecycle",
    "tier",
    "value_class",
)


def prefix(field: str, value: str) -> Q:
    """`field` starts with `value`, in a form each engine answers from a plain b-tree index:
    a range on SQLite (binary collation), LIKE 'v%' with a pattern-ops index on PostgreSQL."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": value, f"{field}__lt": value + "\U0010ffff"})
    return Q(**{f"{field}__startswith": value})


def _tagged(name: str) -> QuerySet | None:
    """Customer ids with the tag; the tag id is looked up first so the planner sees a real
    estimate (a join through the tag name made PostgreSQL scan the whole customer table)."""
    tag_id = Tag.objects.filter(name=name).values_list("id", flat=True).first()
    if tag_id is None:
        return None
    return Customer.tags.through.objects.filter(tag_id=tag_id).values("customer_id").order_by()


def search_ids(q: str) -> QuerySet | None:
    """Ids of customers matching the search box: name, phone (full or last 4 digits), company,
    tag, pinyin initials (`zs` -> 张三) or customer number.

    Each alternative is its own index lookup and the alternatives are UNIONed, so a search stays
    an index probe on 1,000,000 customers instead of one OR that forces a full scan."""
    q = q.strip()
    if not q:
        return None
    alternatives: list[QuerySet] = []

    def where(condition: Q) -> None:
        alternatives.append(Customer.objects.filter(condition).values("id").order_by())

    if DIGITS.match(q):
        digits = re.sub(r"\D", "", q)
        if len(digits) == 4:
            where(Q(phone_tail=digits))
        else:
            with contextlib.suppress(InvalidPhone):
                where(Q(phone=normalize_phone(q)))
        where(prefix("external_id", q))
    else:
        if ASCII_WORD.match(q):
            where(prefix("name_initials", q.lower()))
            where(prefix("name_pinyin", q.lower()))
        else:
            where(prefix("name", q))
        where(prefix("company", q))
        where(prefix("external_id", q))
        if "@" in q:
            where(Q(email=q.lower()))
        tagged = _tagged(q)
        if tagged is not None:
            alternatives.append(tagged)
    first, *rest = alternatives
    return first.union(*rest, all=True) if rest else first  # IN ignores duplicates


def customers_matching(qs: QuerySet[Customer], filters: CustomerFilters) -> QuerySet[Customer]:
    """`qs` narrowed by every filter but `segment` and `sort` (no ordering, no joins): the list
    page, exports and saved segments all filter through here, so their counts agree."""
    ids = search_ids(filters.q)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.city:
        qs = qs.filter(city=filters.city)
    if filters.industry:
        qs = qs.filter(industry=filters.industry)
    if filters.gender:
        qs = qs.filter(gender="" if filters.gender == "none" else filters.gender)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.do_not_contact is not None:
        qs = qs.filter(do_not_contact=filters.do_not_contact)
    if filters.lifecycle:
        qs = qs.filter(lifecycle=filters.lifecycle)
    if filters.tier:
        qs = qs.filter(tier="" if filters.tier == "none" else filters.tier)
    if filters.value_class:
        qs = qs.filter(value_class=filters.value_class)
    if filters.moved_from and filters.moved_to and filters.since and filters.until:
        from careloop.segments.models import SegmentSnapshot

        snaps = SegmentSnapshot.objects.order_by()
        qs = qs.filter(
            pk__in=snaps.filter(as_of=filters.since, lifecycle=filters.moved_from).values(
                "customer_id"
            )
        ).filter(
            pk__in=snaps.filter(as_of=filters.until, lifecycle=filters.moved_to).values(
                "customer_id"
            )
        )
    if filters.tag:
        tagged = _tagged(filters.tag)
        qs = qs.filter(pk__in=tagged) if tagged is not None else qs.none()
    return qs


def customer_list(*, user: User, filters: CustomerFilters) -> QuerySet[Customer]:
    """The customers the user may see that match `filters`, sorted; with `segment`, only that
    saved segment's customers (none if the segment is not visible to the user)."""
    qs = Customer.objects.visible_to(user)
    if filters.segment:
        from careloop.segments.models import SavedSegment
        from careloop.segments.selectors import saved_segment_customers

        segment = SavedSegment.objects.visible_to(user).filter(pk=filters.segment).first()
        if segment is None:
            return qs.none()
        qs = saved_segment_customers(segment=segment, user=user).order_by()
    qs = customers_matching(qs, filters)
    order = SORTS.get(filters.sort, "-id")
    tiebreak = "-id" if order.startswith("-") else "id"
    if order.lstrip("-") in NULLABLE_SORTS:  # unsegmented customers last on both engines
        field = F(order.lstrip("-"))
        key = field.desc(nulls_last=True) if order.startswith("-") else field.asc(nulls_last=True)
        return qs.select_related("owner", "team").order_by(key, tiebreak)
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
    customer = Customer.objects.select_related("owner", "team").filter(pk=customer_id).first()
    if customer is None or not customer.is_visible_to(user):
        raise NotFound(_("客户不存在或无权查看"))
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
        extra=Cast("amount", CharField()),
    )
    complaints = Complaint.objects.filter(customer=customer).annotate(
        entry=Value("complaint"),
        ref=F("id"),
        at=F("opened_at"),
        title=F("category"),
        detail=Substr("description", 1, 300),
        extra=Cast("status", CharField()),
    )
    interactions = Interaction.objects.filter(customer=customer).annotate(
        # A complaint *contact* is not a Complaint row: its own entry, so the page loads it.
        entry=Case(
            When(kind=Interaction.Kind.COMPLAINT, then=Value("complaint_contact")),
            default=F("kind"),
            output_field=CharField(),
        ),
        ref=F("id"),
        at=F("occurred_at"),
        title=F("channel"),
        detail=Substr("text", 1, 300),
        extra=Cast("nps", CharField()),
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


def duplicate_candidates(*, user: User, limit: int = 50) -> list[dict]:
    """Possible duplicates a supervisor may merge: same name and phone tail, or same email.

    Four queries whatever the number of groups: two to find the keys, two to load members."""
    base = Customer.objects.visible_to(user)
    by_name = list(
        base.exclude(phone_tail="")
        .values("name", "phone_tail")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "name")[:limit]
    )
    by_email = list(
        base.exclude(email="")
        .values("email")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "email")[:limit]
    )
    groups: list[dict] = []
    if by_name:
        keys = Q()
        for row in by_name:
            keys |= Q(name=row["name"], phone_tail=row["phone_tail"])
        members: dict[tuple, list[Customer]] = {}
        for c in base.filter(keys).order_by("id"):
            members.setdefault((c.name, c.phone_tail), []).append(c)
        groups += [
            {
                "reason": "name_phone",
                "key": f"{r['name']} · 尾号 {r['phone_tail']}",
                "members": members.get((r["name"], r["phone_tail"]), []),
            }
            for r in by_name
        ]
    if by_email:
        emails = [r["email"] for r in by_email]
        members_e: dict[str, list[Customer]] = {}
        for c in base.filter(email__in=emails).order_by("id"):
            members_e.setdefault(c.email, []).append(c)
        groups += [{"reason": "email", "key": e, "members": members_e.get(e, [])} for e in emails]
    return [g for g in groups if len(g["members"]) > 1]


def filter_choices() -> dict[str, list[str]]:
    """Regions, industries, tags and teams for the filter menus; cached, they change only on
    import (and teams when an admin adds one)."""
    from django.core.cache import cache

    from careloop.accounts.models import Team

    choices = cache.get("customers.filter_choices")
    if choices is None:
        distinct = Customer.objects.order_by().values_list
        choices = {
            "regions": sorted(r for r in distinct("region", flat=True).distinct() if r),
            "industries": sorted(i for i in distinct("industry", flat=True).distinct() if i),
            "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
            "teams": list(Team.objects.order_by("name").values_list("pk", "name")),
        }
        cache.set("customers.filter_choices", choices, 300)
    return choices


# Reads for the HTTP API: orders across visible customers, screen-pop lookup by phone.


def customer_by_external_id(user: User, external_id: str) -> Customer:
    """The visible customer known by this external id (its own or a merged/source one)."""
    customer = (
        Customer.objects.visible_to(user)
        .filter(pk__in=CustomerKey.objects.filter(external_id=external_id).values("customer_id"))
        .select_related("owner", "team")
        .first()
    )
    if customer is None:
        raise NotFound(_("客户不存在或无权查看"), field="customer_external_id")
    return customer


def customer_by_phone(user: User, phone: str) -> Customer:
    """Screen-pop: the visible customer with this number (any common spelling of it)."""
    try:
        normalized = normalize_phone(phone)
    except InvalidPhone as exc:
        raise DomainError(_("手机号码无效:%(value)s") % {"value": phone}, field="phone") from exc
    # No ORDER BY: with one, PostgreSQL may walk the primary key instead of the phone index.
    matches = (
        list(
            Customer.objects.visible_to(user)
            .filter(phone=normalized)
            .select_related("owner", "team")
            .order_by()[:20]
        )
        if normalized
        else []
    )
    if not matches:
        raise NotFound(_("没有该号码的客户或无权查看"), field="phone")
    return min(matches, key=lambda c: c.pk)  # the oldest record if a number is shared


def order_list(
    *,
    user: User,
    customer_external_id: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Order]:
    """Orders of the customers the user may see, newest first; days count in Asia/Shanghai."""
    qs = Order.objects.all()
    if not user.is_admin:
        qs = qs.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))
    if customer_external_id:
        keys = CustomerKey.objects.filter(external_id=customer_external_id)
        qs = qs.filter(customer_id__in=keys.values("customer_id"))
    if since:
        qs = qs.filter(ordered_at__gte=clock.day_start(since))
    if until:
        qs = qs.filter(ordered_at__lt=clock.day_end(until))
    return qs.select_related("customer").order_by("-ordered_at", "-id")
