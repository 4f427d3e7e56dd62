"""复盘: complaints by 人/货/场, category, product, team and month; response and resolution
times; SLA compliance; repeat, reopen and conversion rates. Each figure is one aggregate
query over the complaints the user may see, and each comes with the filter that lists them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.complaints.models import Complaint, ComplaintEvent
from careloop.core import clock
from careloop.customers.models import Interaction

BREACHES = ("first_response_breach", "resolution_breach")


def breached() -> Exists:
    return Exists(ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), kind__in=BREACHES))


def converted() -> Exists:
    """A later CSAT of 4 or 5 from the same customer: the complainer became satisfied."""
    return Exists(
        Interaction.objects.filter(
            customer_id=OuterRef("customer_id"), csat__gte=4, occurred_at__gt=OuterRef("opened_at")
        )
    )


def in_period(user: User, since: date, until: date) -> QuerySet[Complaint]:
    return Complaint.objects.visible_to(user).filter(
        opened_at__gte=clock.day_start(since), opened_at__lt=clock.day_end(until)
    )


@dataclass
class Review:
    since: date
    until: date
    total: int = 0
    with_clock: int = 0
    breached: int = 0
    repeat: int = 0
    reopened: int = 0
    resolved: int = 0
    converted: int = 0
    first_response_hours: float | None = None
    resolution_hours: float | None = None
    by: dict[str, list[dict]] = field(default_factory=dict)

    def rate(self, part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def sla_rate(self) -> float | None:
        return self.rate(self.with_clock - self.breached, self.with_clock)

    @property
    def repeat_rate(self) -> float | None:
        return self.rate(self.repeat, self.total)

    @property
    def reopen_rate(self) -> float | None:
        return self.rate(self.reopened, self.resolved)

    @property
    def conversion_rate(self) -> float | None:
        return self.rate(self.converted, self.total)


def _hours(value: timedelta | None) -> float | None:
    return round(value.total_seconds() / 3600, 1) if value is not None else None


def complaint_review(*, user: User, since: date, until: date) -> Review:
    """One aggregate and five grouped queries, whatever the number of complaints."""
    qs = in_period(user, since, until).order_by()
    report = Review(since=since, until=until)
    totals = qs.aggregate(
        total=Count("pk"),
        with_clock=Count("pk", filter=Q(clock_started_at__isnull=False)),
        breached=Count("pk", filter=Q(breached())),
        repeat=Count("pk", filter=Q(is_repeat=True)),
        reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        resolved=Count(
            "pk", filter=Q(first_resolved_at__isnull=False) | Q(resolved_at__isnull=False)
        ),
        converted=Count("pk", filter=Q(converted())),
        first_response=Avg(
            ExpressionWrapper(F("first_responded_at") - F("opened_at"), DurationField()),
            filter=Q(first_responded_at__isnull=False, reopen_count=0),
        ),
        resolution=Avg(
            ExpressionWrapper(
                F("first_resolved_at") - F("opened_at"), output_field=DurationField()
            ),
            filter=Q(first_resolved_at__isnull=False),
        ),
    )
    for key in ("total", "with_clock", "breached", "repeat", "reopened", "resolved", "converted"):
        setattr(report, key, totals[key])
    report.first_response_hours = _hours(totals["first_response"])
    report.resolution_hours = _hours(totals["resolution"])
    labels = dict(Complaint.RootCause.choices)
    report.by["root_cause"] = [
        {
            "key": r["root_cause"] or "none",
            "label": str(labels.get(r["root_cause"], _("未诊断"))),
            "n": r["n"],
            "breached": r["b"],
        }
        for r in _grouped(qs, "root_cause")
    ]
    for name in ("category", "product"):
        report.by[name] = [
            {"key": r[name], "label": r[name] or _("未填写"), "n": r["n"], "breached": r["b"]}
            for r in _grouped(qs, name)[:20]
            if r[name]
        ]
    report.by["team"] = [
        {
            "key": r["customer__team_id"] or "",
            "label": r["customer__team__name"] or _("无团队"),
            "n": r["n"],
            "breached": r["b"],
        }
        for r in _grouped(qs, "customer__team_id", "customer__team__name")
    ]
    tz = timezone.get_default_timezone()
    months = (
        qs.annotate(month=TruncMonth("opened_at", tzinfo=tz))
        .values("month")
        .annotate(n=Count("pk"), b=Count("pk", filter=Q(breached())))
        .order_by("month")
    )
    report.by["month"] = [
        {
            "key": f"{r['month']:%Y-%m}",
            "label": f"{r['month']:%Y-%m}",
            "n": r["n"],
            "breached": r["b"],
        }
        for r in months
    ]
    return report


def _grouped(qs: QuerySet, *keys: str) -> list[dict]:
    return list(
        qs.values(*keys)
        .annotate(n=Count("pk"), b=Count("pk", filter=Q(breached())))
        .order_by("-n", keys[0])
    )
