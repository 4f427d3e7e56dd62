"""Reads on segments: transitions between two snapshot dates, runs for the run page, and the
customers of a saved segment (for the list page, rules, campaigns and exports)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, F, QuerySet, Sum
from django.utils.translation import gettext as _

from careloop.core.errors import DomainError, NotFound
from careloop.core.pagination import COUNT_CAP
from careloop.customers.models import Customer
from careloop.customers.selectors import SAVED_FILTER_FIELDS, CustomerFilters, customers_matching
from careloop.segments.models import SavedSegment, SegmentRun, SegmentSnapshot

if TYPE_CHECKING:
    from careloop.accounts.models import User

TRANSITION_FIELDS = ("lifecycle", "tier", "value_class")


def segment_transitions(
    *, since: date, until: date, field: str = "lifecycle", user=None
) -> list[dict]:
    """How many customers moved from each value to each other between two snapshot dates,
    e.g. dormant → active this month: [{"from": "dormant", "to": "active", "n": 12}, …].
    Customers missing from either snapshot are left out. One grouped join."""
    if field not in TRANSITION_FIELDS:
        raise DomainError(_("未知的分群字段:%(field)s") % {"field": field}, field="field")
    snapshots = SegmentSnapshot.objects.filter(as_of=since)
    if user is not None:
        from careloop.customers.models import Customer

        snapshots = snapshots.filter(customer__in=Customer.objects.visible_to(user).values("pk"))
    rows = (
        snapshots.filter(customer__segment_snapshots__as_of=until)
        .values(before=F(field), after=F(f"customer__segment_snapshots__{field}"))
        .annotate(n=Count("id"))
        .order_by("before", "after")
    )
    return [{"from": r["before"], "to": r["after"], "n": r["n"]} for r in rows]


def segment_runs(*, limit: int = 20) -> QuerySet[SegmentRun]:
    return SegmentRun.objects.select_related("started_by").order_by("-id")[:limit]


def segment_counts(*, user) -> dict[str, dict[str, int]]:
    """Customers per lifecycle stage, tier and value class within the user's scope (a supervisor
    counts their team, an admin everyone): three grouped counts on indexed columns."""
    from careloop.customers.models import Customer

    scoped = Customer.objects.visible_to(user).exclude(segmented_as_of=None).order_by()
    every = {
        "lifecycle": list(Customer.Lifecycle.values),
        "tier": ["A", "B", "C", "none"],
        "value_class": [*Customer.ValueClass.values, "none"],
    }
    counts: dict[str, dict[str, int]] = {}
    for field in TRANSITION_FIELDS:
        found = {
            (value or "none"): n for value, n in scoped.values_list(field).annotate(n=Count("id"))
        }
        counts[field] = {key: found.get(key, 0) for key in every[field]}
    return counts


def segment_spend(*, user) -> dict[str, dict[str, Decimal]]:
    """Spend in the last 365 days (`m_spend`) per lifecycle stage, tier and value class, within
    the user's scope: where the money is, next to how many customers."""
    from careloop.customers.models import Customer

    scoped = Customer.objects.visible_to(user).exclude(segmented_as_of=None).order_by()
    spend: dict[str, dict[str, Decimal]] = {}
    for field in TRANSITION_FIELDS:
        rows = scoped.values_list(field).annotate(total=Sum("m_spend"))
        spend[field] = {(value or "none"): Decimal(total or 0) for value, total in rows}
    return spend


def rfm_grid(*, user) -> list[list[int]]:
    """Customers per (R score, F score) within the user's scope, as [r, f, count] cells for the
    RFM heat map: one grouped count."""
    from careloop.customers.models import Customer

    rows = (
        Customer.objects.visible_to(user)
        .exclude(r_score=None)
        .order_by()
        .values_list("r_score", "f_score")
        .annotate(n=Count("id"))
    )
    return [[r, f, n] for r, f, n in rows]


def snapshot_dates(*, limit: int = 60) -> list[date]:
    """The dates that have a snapshot, newest first (the choices for a transitions view)."""
    return list(
        SegmentSnapshot.objects.order_by("-as_of")
        .values_list("as_of", flat=True)
        .distinct()[:limit]
    )


# Saved segments ------------------------------------------------------------------------------


def saved_segment_filters(segment: SavedSegment) -> CustomerFilters:
    """The segment's stored filters as `CustomerFilters` (keys outside the saved fields, which
    the services never write, are ignored)."""
    data = {k: v for k, v in (segment.filters or {}).items() if k in SAVED_FILTER_FIELDS}
    return CustomerFilters(**data)


def saved_segment_customers(
    *, segment: SavedSegment, user: User | None = None
) -> QuerySet[Customer]:
    """The customers of a saved segment, newest first, as one lazy queryset (compose it as a
    subquery with `.values("id")`; nothing is loaded).

    A team's segment means that team's customers, whoever asks: the planner (`user=None`,
    otherwise unscoped) and an admin both get only the team's. A global segment (no team) covers
    every customer. With a user, the result is also limited to what that user may see."""
    qs = Customer.objects.all() if user is None else Customer.objects.visible_to(user)
    if segment.team_id:
        qs = qs.filter(team_id=segment.team_id)
    return customers_matching(qs, saved_segment_filters(segment)).order_by("-id")


def saved_segment_count(
    *, segment: SavedSegment, user: User | None = None, cap: int | None = COUNT_CAP
) -> int:
    """How many customers the segment holds, counted like the customer list: at most `cap` + 1
    (more than `cap` means "超过 cap"); `cap=None` counts them all."""
    qs = saved_segment_customers(segment=segment, user=user).order_by().values("pk")
    return (qs[: cap + 1] if cap else qs).count()


def saved_segments(*, user: User) -> QuerySet[SavedSegment]:
    """The saved segments the user may see, by name, with their owner and team."""
    return (
        SavedSegment.objects.visible_to(user).select_related("owner", "team").order_by("name", "id")
    )


def saved_segment_for(user: User, segment_id: int) -> SavedSegment:
    """The segment if the user may see it; NotFound otherwise (no hint that it exists)."""
    segment = saved_segments(user=user).filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(_("分群不存在或无权查看"), field="segment")
    return segment


WORD_ORDER = (
    "region",
    "city",
    "industry",
    "tier",
    "lifecycle",
    "value_class",
    "gender",
    "tag",
    "owner",
    "team",
    "do_not_contact",
    "q",
)


def filters_words(filters: dict, *, users: dict[int, str], teams: dict[int, str]) -> str:
    """The filters as a person says them: "华东 · 制造业 · A 类 · 沉睡"; `users` and `teams` map
    ids to names (see `saved_segments_describe`)."""
    tiers = {"A": _("A 类"), "B": _("B 类"), "C": _("C 类"), "none": _("无等级")}
    genders = {"M": _("男"), "F": _("女"), "none": _("性别未知")}
    words = []
    for key in WORD_ORDER:
        value = filters.get(key)
        if value in (None, ""):
            continue
        if key == "tier":
            words.append(str(tiers.get(value, value)))
        elif key == "lifecycle":
            words.append(str(dict(Customer.Lifecycle.choices).get(value, value)))
        elif key == "value_class":
            label = dict(Customer.ValueClass.choices).get(value, value)
            words.append(_("价值类别 %(label)s") % {"label": label})
        elif key == "gender":
            words.append(str(genders.get(value, value)))
        elif key == "tag":
            words.append(_("标签 %(tag)s") % {"tag": value})
        elif key == "owner":
            words.append(_("负责人 %(name)s") % {"name": users.get(value, value)})
        elif key == "team":
            words.append(str(teams.get(value, value)))
        elif key == "do_not_contact":
            words.append(_("免打扰") if value else _("非免打扰"))
        elif key == "q":
            words.append(_("搜索“%(q)s”") % {"q": value})
        else:
            words.append(str(value))
    return " · ".join(words) or _("全部客户")


def saved_segments_describe(segments: list[SavedSegment]) -> list[SavedSegment]:
    """Attach `filters_text` to each segment, naming owners and teams with at most two queries
    for the whole list (none when no filter names a person or a team)."""
    from careloop.accounts.models import Team, User

    user_ids = {s.filters.get("owner") for s in segments} - {None}
    team_ids = {s.filters.get("team") for s in segments} - {None}
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
    for segment in segments:
        segment.filters_text = filters_words(segment.filters or {}, users=users, teams=teams)
    return segments
