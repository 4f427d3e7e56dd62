"""Writes on complaints: intake (and the adoption of imported rows), response, diagnosis,
solution, execution, pause, resolution, the resolution check (close or reopen) and the SLA
watch (warnings and escalations).

Every write a person makes is audited and logged as a `ComplaintEvent`; jobs, messages and
webhooks start after commit.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import User
from careloop.accounts.services import audit_record
from careloop.complaints import sla
from careloop.complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintCounter,
    ComplaintEvent,
    ComplaintOption,
    ComplaintStep,
    ComplaintUpdate,
    Department,
    SlaPolicy,
)
from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.core.phones import InvalidPhone, normalize_phone
from careloop.customers.models import Customer

log = logging.getLogger(__name__)

REPEAT_WINDOW = timedelta(days=90)
DESCRIPTION_MAX = 10_000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MAX_COUNT = 10
ATTACHMENT_TYPES = {
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".pdf",
    ".txt",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".mp3",
    ".mp4",
    ".amr",
    ".eml",
    ".zip",
}
Stage = Complaint.Stage
Kind = ComplaintEvent.Kind


class ComplaintClosed(DomainError):
    code, status = "complaint_not_open", 409


class NotReady(DomainError):
    """The complaint cannot move on yet (a step open, no option chosen, …)."""

    code, status = "not_ready", 409


class ProgressUpdateMissing(DomainError):
    code, status = "progress_update_missing", 409


@dataclass(frozen=True)
class Attachment:
    """A file that arrived with a complaint (upload or e-mail part)."""

    name: str
    content: bytes
    content_type: str = ""


# ---- intake -------------------------------------------------------------------------------


def sla_policy_for(*, severity: str, category: str = "", tier: str = "") -> SlaPolicy:
    """The most specific policy: severity + category + tier, then category, then tier, then
    severity alone; the DESIGN defaults when the table has none."""
    rows = SlaPolicy.objects.filter(
        severity=severity, category__in={"", category}, tier__in={"", tier}
    )
    return _policy_choose(rows, severity=severity, category=category, tier=tier)


def _policy_choose(
    policies: Iterable[SlaPolicy], *, severity: str, category: str, tier: str
) -> SlaPolicy:
    """`sla_policy_for` over policies already read (the import adopts many rows at once)."""
    rows = [
        p
        for p in policies
        if p.severity == severity and p.category in {"", category} and p.tier in {"", tier}
    ]
    best = max(rows, key=lambda p: (bool(p.category), bool(p.tier)), default=None)
    if best is not None:
        return best
    first, resolution = sla.DEFAULT_TARGETS[severity]
    return SlaPolicy(severity=severity, first_response_hours=first, resolution_hours=resolution)


def complaint_number_next(*, on: date) -> str:
    """TS20261125-0001: per-day sequence; the UPDATE row lock serialises concurrent intakes."""
    with transaction.atomic():
        ComplaintCounter.objects.bulk_create(
            [ComplaintCounter(day=on, value=0)], ignore_conflicts=True
        )
        ComplaintCounter.objects.filter(day=on).update(value=F("value") + 1)
        value = ComplaintCounter.objects.get(day=on).value
    return f"TS{on:%Y%m%d}-{value:04d}"


def _clean_choice(value: str, choices, *, field: str, label: str) -> str:
    value = (value or "").strip()
    if value not in choices.values:
        allowed = "/".join(choices.values)
        raise DomainError(
            _("%(label)s无效:%(value)s(可选 %(allowed)s)")
            % {"label": label, "value": value, "allowed": allowed},
            field=field,
        )
    return value


def _match_customer(*, actor: User | None, phone: str, email: str, name: str) -> Customer:
    """The customer with this phone (oldest record), else this e-mail, else a new customer."""
    from careloop.customers.services import customer_create

    normalized = ""
    if phone:
        try:
            normalized = normalize_phone(phone)
        except InvalidPhone as exc:
            raise DomainError(
                _("手机号码无效:%(value)s") % {"value": phone}, field="phone"
            ) from exc
    email = (email or "").strip().lower()
    if normalized:
        found = Customer.objects.filter(phone=normalized).order_by("pk").first()
        if found:
            return found
    if email:
        found = Customer.objects.filter(email=email).order_by("pk").first()
        if found:
            return found
    if not normalized and not email:
        raise DomainError(_("请填写客户手机号或邮箱,或选择客户"), field="phone")
    name = (name or "").strip() or (email.split("@")[0] if email else normalized[-4:])
    return customer_create(actor=actor, name=name[:100], phone=normalized, email=email)


def _start_clocks(complaint: Complaint, start: datetime) -> None:
    tier = complaint.customer.tier or ""
    policy = sla_policy_for(severity=complaint.severity, category=complaint.category, tier=tier)
    complaint.business_hours = policy.business_hours
    complaint.first_response_hours = policy.first_response_hours
    complaint.resolution_hours = policy.resolution_hours
    complaint.clock_started_at = start
    for field, value in _policy_deadlines(policy, start).items():
        setattr(complaint, field, value)


def _policy_deadlines(policy: SlaPolicy, start: datetime) -> dict[str, datetime]:
    return sla.deadlines(
        start,
        first_response_hours=policy.first_response_hours,
        resolution_hours=policy.resolution_hours,
        business=policy.business_hours,
        warn_ratio=policy.warn_ratio,
        head_ratio=policy.head_ratio,
    )


def _save_attachments(complaint: Complaint, files: Iterable[Attachment | UploadedFile]) -> int:
    from django.core.files.base import ContentFile

    files = list(files)
    if len(files) > ATTACHMENT_MAX_COUNT:
        raise DomainError(_("附件最多 %(n)s 个") % {"n": ATTACHMENT_MAX_COUNT}, field="attachments")
    for item in files:
        if isinstance(item, Attachment):
            name, content, ctype = item.name, ContentFile(item.content), item.content_type
            size = len(item.content)
        else:
            name, content, ctype, size = item.name, item, item.content_type or "", item.size
        name = os.path.basename(name or "")[:200] or "attachment"
        ext = os.path.splitext(name)[1].lower()
        if ext not in ATTACHMENT_TYPES:
            raise DomainError(_("不支持的附件类型:%(name)s") % {"name": name}, field="attachments")
        if size > ATTACHMENT_MAX_BYTES:
            raise DomainError(_("附件 %(name)s 超过 10 MB") % {"name": name}, field="attachments")
        attachment = ComplaintAttachment(
            complaint=complaint, name=name, size=size, content_type=ctype[:100]
        )
        attachment.file.save(name, content, save=False)
        attachment.save()
    return len(files)


def _event(
    complaint: Complaint,
    kind: str,
    *,
    actor: User | None = None,
    note: str = "",
    at: datetime | None = None,
) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        cycle=complaint.reopen_count,
        at=at or clock.now(),
        actor=actor if actor is not None and actor.pk else None,
        note=note[:2000],
    )


def _audit(actor: User | None, action: str, complaint: Complaint, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=complaint,
        customer_id=complaint.customer_id,
        detail={"number": complaint.number, **detail},
    )


def _fire(event: str, complaint: Complaint) -> None:
    from careloop.webhooks.services import webhook_fire

    webhook_fire(event=event, payload=complaint_payload(complaint))


def complaint_payload(complaint: Complaint) -> dict[str, Any]:
    """What a webhook receiver gets: the ticket, without personal data."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "id": complaint.pk,
        "number": complaint.number,
        "external_id": complaint.external_id,
        "customer_id": complaint.customer_id,
        "severity": complaint.severity,
        "category": complaint.category,
        "channel": complaint.channel,
        "status": complaint.status,
        "stage": complaint.stage,
        "opened_at": iso(complaint.opened_at),
        "first_response_due": iso(complaint.first_response_due),
        "resolution_due": iso(complaint.resolution_due),
        "resolved_at": iso(complaint.resolved_at),
        "closed_at": iso(complaint.closed_at),
        "escalation_level": complaint.escalation_level,
        "reopen_count": complaint.reopen_count,
    }


@transaction.atomic
def complaint_create(
    *,
    actor: User | None,
    channel: str,
    severity: str,
    description: str,
    category: str = "",
    customer: Customer | None = None,
    phone: str = "",
    email: str = "",
    name: str = "",
    subject: str = "",
    product: str = "",
    opened_at: datetime | None = None,
    external_id: str | None = None,
    attachments: Iterable[Attachment | UploadedFile] = (),
) -> Complaint:
    """受理: number, customer (matched by phone/e-mail or created), SLA clocks, repeat link.

    After commit: the online acknowledgement and the `complaint.created` webhook. The apology
    and the follow-up task come from the care planner."""
    channel = _clean_choice(channel, Complaint.Channel, field="channel", label=_("渠道"))
    severity = _clean_choice(
        (severity or "").upper(), Complaint.Severity, field="severity", label=_("等级")
    )
    description = (description or "").strip()
    if not description:
        raise DomainError(_("请填写投诉描述"), field="description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(_("描述最多 %(max)s 字") % {"max": DESCRIPTION_MAX}, field="description")
    category, product = (category or "").strip()[:64], (product or "").strip()[:128]
    if customer is None:
        customer = _match_customer(actor=actor, phone=phone, email=email, name=name)
    opened_at = opened_at or clock.now()
    if timezone.is_naive(opened_at):
        opened_at = timezone.make_aware(opened_at)
    if opened_at > clock.now() + timedelta(minutes=5):
        raise DomainError(_("投诉时间不能晚于现在"), field="opened_at")
    complaint = Complaint(
        customer=customer,
        external_id=(external_id or "").strip() or None,
        opened_at=opened_at,
        channel=channel,
        severity=severity,
        category=category,
        description=description,
        subject=(subject or "").strip()[:200],
        product=product,
        contact_email=(email or "").strip().lower()[:254],
        status=Complaint.Status.OPEN,
        stage=Stage.NEW,
        assignee=actor if actor is not None and actor.pk and not actor.is_admin else None,
    )
    if category:
        earlier = (
            Complaint.objects.filter(
                customer=customer,
                category=category,
                opened_at__gte=opened_at - REPEAT_WINDOW,
                opened_at__lte=opened_at,
            )
            .order_by("-opened_at", "-id")
            .first()
        )
        if earlier is not None:
            complaint.repeat_of, complaint.is_repeat = earlier, True
    _start_clocks(complaint, opened_at)
    complaint.number = complaint_number_next(on=clock.local(opened_at).date())
    complaint.full_clean(exclude=["customer", "repeat_of", "assignee", "chosen_option"])
    try:
        with transaction.atomic():
            complaint.save()
    except IntegrityError as exc:
        raise DomainError(
            _("投诉编号 %(value)s 已存在") % {"value": complaint.external_id},
            field="external_id",
            code="duplicate_external_id",
        ) from exc
    _save_attachments(complaint, attachments)
    _event(complaint, Kind.CREATED, actor=actor, at=opened_at)
    _audit(actor, "complaint.create", complaint, channel=channel, severity=severity)
    pk = complaint.pk
    if complaint.is_online:
        from careloop.complaints.tasks import complaint_ack_job

        transaction.on_commit(lambda: complaint_ack_job(pk))
    _fire("complaint.created", complaint)
    log.info("complaint.created", extra={"complaint": pk, "severity": severity})
    return complaint


def _send_message(
    complaint: Complaint, *, purpose: str, body: str, channel: str = "sms", quiet: bool = True
):
    from careloop.messaging.services import message_schedule

    return message_schedule(
        customer=complaint.customer,
        purpose=purpose,
        body=body,
        channel=channel,
        respect_quiet_hours=quiet,
        source_type="complaint",
        source_id=complaint.pk,
    )


@transaction.atomic
def complaint_ack_send(*, complaint: Complaint) -> bool:
    """The automatic acknowledgement of an online complaint (within 1 h); once."""
    complaint = (
        Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    )
    if complaint.ack_sent_at is not None or not complaint.is_online:
        return False
    body = _("【CareLoop】%(name)s,您的投诉(工单号 %(number)s)已受理,我们会尽快联系您。") % {
        "name": complaint.customer.salutation,
        "number": complaint.number,
    }
    channel = "email" if complaint.channel == "email" and complaint.contact_email else "sms"
    _send_message(complaint, purpose="complaint_ack", body=body, channel=channel, quiet=False)
    complaint.ack_sent_at = clock.now()
    complaint.save(update_fields=["ack_sent_at"])
    _event(complaint, Kind.ACK)
    return True


# ---- imported complaints --------------------------------------------------------------------

ADOPT_CHUNK = 10_000
IMPORTED_STAGES = {  # an imported row's status -> its stage
    Complaint.Status.OPEN: Stage.NEW,
    Complaint.Status.RESOLVED: Stage.RESOLVED,
    Complaint.Status.CLOSED: Stage.CLOSED,
}
CLOCK_COLUMNS = (
    "first_response_warn_at",
    "first_response_due",
    "first_response_head_at",
    "resolution_warn_at",
    "resolution_due",
    "resolution_head_at",
)
ADOPT_COLUMNS = (  # (column, PostgreSQL array type) written on every adopted row
    ("number", "text"),
    ("stage", "text"),
    ("business_hours", "boolean"),
    ("clock_started_at", "timestamptz"),
    ("first_response_hours", "numeric"),
    ("resolution_hours", "numeric"),
    *((column, "timestamptz") for column in CLOCK_COLUMNS),
    ("first_resolved_at", "timestamptz"),
)


@dataclass(frozen=True)
class Adopted:
    """What `complaints_adopt_imported` did: rows numbered, days reserved, repeats linked."""

    count: int = 0
    days: int = 0
    repeats: int = 0


@transaction.atomic
def complaints_adopt_imported(*, since_id: int, now: datetime | None = None) -> Adopted:
    """Bring the complaints an import has just inserted (id > `since_id`, no number yet) into
    the workflow as `complaint_create` would, set-based (a fixed number of queries per
    ADOPT_CHUNK rows, none per row):

    - a number TS20261125-0001 in `opened_at` order per Shanghai day, from the intake's
      counter: one block per day, the counter rows locked in day order, so numbers never
      collide with live intakes (which wait on the same rows until the import commits);
    - the stage of its status (open → 待响应, resolved → 已解决, closed → 已关闭);
    - open rows: SLA clocks counted from `opened_at` with the policy of its severity,
      category and customer tier (`_start_clocks`); resolved and closed rows get no clock;
    - the repeat link (same customer and category within 90 days) and a 受理 event at the
      time of the import. Thresholds that had already passed then are recorded by the next
      `complaint_sla_watch` without notifying anyone or firing a webhook per row (see there).

    No audit entry per row: the import itself is audited."""
    now = now or clock.now()
    fresh = Complaint.objects.filter(pk__gt=since_id, number__isnull=True)
    rows = list(
        fresh.order_by("opened_at", "pk").values_list(
            "pk", "opened_at", "severity", "category", "status", "resolved_at", "customer__tier"
        )
    )
    if not rows:
        return Adopted()
    last_id = max(row[0] for row in rows)
    repeats = _adopt_repeats(fresh.filter(pk__lte=last_id))
    _adopt_created_events(since_id=since_id, last_id=last_id, at=now)
    days = [clock.local(row[1]).date() for row in rows]
    numbers = _numbers_reserve(days)
    policies = list(SlaPolicy.objects.all())
    values = []
    for (pk, opened_at, severity, category, status, resolved_at, tier), day in zip(
        rows, days, strict=True
    ):
        number = numbers[day]
        numbers[day] += 1
        clocks: dict[str, Any] = dict.fromkeys(CLOCK_COLUMNS)
        business, targets, started = False, (None, None), None
        if status == Complaint.Status.OPEN:
            policy = _policy_choose(policies, severity=severity, category=category, tier=tier or "")
            business, started = policy.business_hours, opened_at
            targets = (policy.first_response_hours, policy.resolution_hours)
            clocks = _policy_deadlines(policy, opened_at)
        values.append(
            (
                pk,
                f"TS{day:%Y%m%d}-{number:04d}",
                IMPORTED_STAGES.get(status, Stage.NEW),
                business,
                started,
                *targets,
                *(clocks[column] for column in CLOCK_COLUMNS),
                resolved_at if status != Complaint.Status.OPEN else None,
            )
        )
    _adopt_write(values)
    adopted = Adopted(count=len(values), days=len(set(days)), repeats=repeats)
    log.info(
        "complaint.adopted",
        extra={"adopted": adopted.count, "days": adopted.days, "repeats": adopted.repeats},
    )
    return adopted


@transaction.atomic
def complaints_imported_status_sync(*, external_ids: list[str]) -> int:
    """A re-import that marks numbered complaints resolved or closed moves their stage with
    the status (the importer writes `status` only) and stops their clocks (`first_resolved_at`
    kept from the import's `resolved_at`); one UPDATE per 5,000 keys. A re-import back to
    open is left to the workflow (reopen restarts the clocks)."""
    done = 0
    for start in range(0, len(external_ids), 5000):
        done += (
            Complaint.objects.filter(
                external_id__in=external_ids[start : start + 5000],
                number__isnull=False,
                status__in=[Complaint.Status.RESOLVED, Complaint.Status.CLOSED],
            )
            .exclude(stage=F("status"))
            .update(
                stage=F("status"),
                first_resolved_at=Coalesce("first_resolved_at", "resolved_at"),
                paused_at=None,
                resume_stage="",
            )
        )
    return done


def _adopt_repeats(fresh) -> int:
    """Link each row to the latest complaint of its customer and category in the 90 days up to
    it (another imported row included), as intake does: one UPDATE."""
    window = ExpressionWrapper(
        OuterRef("opened_at") - Value(REPEAT_WINDOW), output_field=DateTimeField()
    )
    earlier = (
        Complaint.objects.filter(
            customer_id=OuterRef("customer_id"),
            category=OuterRef("category"),
            opened_at__gte=window,
            opened_at__lte=OuterRef("opened_at"),
        )
        .filter(Q(opened_at__lt=OuterRef("opened_at")) | Q(pk__lt=OuterRef("pk")))
        .order_by("-opened_at", "-pk")
        .values("pk")[:1]
    )
    return (
        fresh.exclude(category="")
        .filter(Exists(earlier))
        .update(repeat_of=Subquery(earlier), is_repeat=True)
    )


def _adopt_created_events(*, since_id: int, last_id: int, at: datetime) -> None:
    """One 受理 event per adopted row, stamped with the time of the import (INSERT … SELECT)."""
    table, events = Complaint._meta.db_table, ComplaintEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {events} (complaint_id, kind, cycle, at, note) "
            f"SELECT id, %s, 0, %s, %s FROM {table} "
            "WHERE id > %s AND id <= %s AND number IS NULL",
            [
                Kind.CREATED.value,
                connection.ops.adapt_datetimefield_value(at),
                _("从导入文件受理"),
                since_id,
                last_id,
            ],
        )


def _numbers_reserve(days: list[date]) -> dict[date, int]:
    """{day: first number of this import's block}; the block of each day is taken from the
    intake's counter, whose rows are locked in day order (no deadlock between two imports)."""
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    ComplaintCounter.objects.bulk_create(
        [ComplaintCounter(day=day, value=0) for day in sorted(counts)],
        ignore_conflicts=True,
        batch_size=1000,
    )
    counters = list(
        ComplaintCounter.objects.select_for_update().filter(day__in=list(counts)).order_by("day")
    )
    first = {}
    for counter in counters:
        first[counter.day] = counter.value + 1
        counter.value += counts[counter.day]
    ComplaintCounter.objects.bulk_update(counters, ["value"], batch_size=1000)
    return first


def _adopt_write(values: list[tuple]) -> None:
    """Write the computed columns: PostgreSQL one UPDATE … FROM unnest(arrays) per chunk;
    SQLite an executemany in-process (no round trips), as the importer's upsert does."""
    table = Complaint._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    values = [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in values]
    names = [column for column, _type in ADOPT_COLUMNS]
    with connection.cursor() as cursor:
        for start in range(0, len(values), ADOPT_CHUNK):
            part = values[start : start + ADOPT_CHUNK]
            if connection.vendor == "postgresql":
                arrays = ", ".join(
                    f"%s::{kind}[]" for kind in ("bigint", *(t for _c, t in ADOPT_COLUMNS))
                )
                sets = ", ".join(f"{column} = v.{column}" for column in names)
                cursor.execute(
                    f"UPDATE {table} AS c SET {sets} FROM unnest({arrays}) "
                    f"AS v(id, {', '.join(names)}) WHERE c.id = v.id",
                    [list(column) for column in zip(*part, strict=True)],
                )
            else:
                sets = ", ".join(f"{column} = %s" for column in names)
                cursor.executemany(
                    f"UPDATE {table} SET {sets} WHERE id = %s", [(*r[1:], r[0]) for r in part]
                )


# ---- the workflow ---------------------------------------------------------------------------


def _lock_open(complaint: Complaint) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != Complaint.Status.OPEN:
        raise ComplaintClosed(
            _("投诉 %(number)s 已%(status)s,不能再修改")
            % {"number": complaint, "status": complaint.get_status_display()}
        )
    return complaint


def _mark_responded(complaint: Complaint, *, actor: User, note: str = "") -> None:
    if complaint.first_responded_at is None:
        complaint.first_responded_at = clock.now()
        if complaint.assignee_id is None:
            complaint.assignee = actor
        _event(complaint, Kind.RESPONDED, actor=actor, note=note)


def _advance(complaint: Complaint, stage: str) -> None:
    if complaint.paused_at is not None:
        complaint.resume_stage = stage
    else:
        complaint.stage = stage


@transaction.atomic
def complaint_respond(*, complaint: Complaint, user: User, note: str = "") -> Complaint:
    """首次响应: the first person-to-customer contact stops the first-response clock."""
    complaint = _lock_open(complaint)
    if complaint.first_responded_at is not None:
        raise DomainError(_("该投诉已响应过"), field="note", code="already_responded")
    _mark_responded(complaint, actor=user, note=note.strip())
    if complaint.stage in {Stage.NEW, Stage.REOPENED, ""}:
        _advance(complaint, Stage.RESPONDED)
    complaint.save()
    _audit(user, "complaint.respond", complaint)
    return complaint


@transaction.atomic
def complaint_diagnose(
    *,
    complaint: Complaint,
    user: User,
    nature: str,
    what_happened: str,
    expected_outcome: str,
    reported_before: bool | None,
    root_cause: str,
    root_cause_note: str = "",
    category: str = "",
    department: Department | None = None,
) -> Complaint:
    """诊断: fact or emotion, the three questions, 人/货/场 and category."""
    complaint = _lock_open(complaint)
    nature = _clean_choice(nature, Complaint.Nature, field="nature", label=_("投诉性质"))
    root_cause = _clean_choice(
        root_cause, Complaint.RootCause, field="root_cause", label=_("根因维度")
    )
    what_happened, expected_outcome = (
        (what_happened or "").strip(),
        (expected_outcome or "").strip(),
    )
    if not what_happened:
        raise DomainError(_("请填写发生了什么"), field="what_happened")
    if not expected_outcome:
        raise DomainError(_("请填写客户期望的结果"), field="expected_outcome")
    _mark_responded(complaint, actor=user)
    complaint.nature, complaint.root_cause = nature, root_cause
    complaint.what_happened, complaint.expected_outcome = what_happened, expected_outcome
    complaint.reported_before = reported_before
    complaint.root_cause_note = (root_cause_note or "").strip()
    if category:
        complaint.category = category.strip()[:64]
    if department is not None:
        complaint.department = department
    _advance(complaint, Stage.DIAGNOSING)
    complaint.save()
    labels = f"{complaint.get_nature_display()} · {complaint.get_root_cause_display()}"
    _event(complaint, Kind.DIAGNOSED, actor=user, note=labels)
    _audit(user, "complaint.diagnose", complaint, nature=nature, root_cause=root_cause)
    return complaint


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("金额无效:%(value)s") % {"value": value}, field="options") from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError(_("金额无效:%(value)s") % {"value": value}, field="options")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def complaint_solution_set(
    *,
    complaint: Complaint,
    user: User,
    solution_type: str,
    solution: str,
    options: Iterable[dict] = (),
) -> Complaint:
    """方案: compensation (tiered options the customer chooses from), process fix or guide."""
    complaint = _lock_open(complaint)
    solution_type = _clean_choice(
        solution_type, Complaint.SolutionType, field="solution_type", label=_("方案类型")
    )
    solution = (solution or "").strip()
    if not solution:
        raise DomainError(_("请填写方案说明"), field="solution")
    rows = [
        ComplaintOption(
            complaint=complaint,
            label=str(o.get("label") or "").strip()[:200],
            amount=_money(o.get("amount")),
            position=i,
        )
        for i, o in enumerate(options)
        if str(o.get("label") or "").strip()
    ]
    if solution_type == Complaint.SolutionType.COMPENSATION and not rows:
        raise DomainError(_("补偿方案至少需要一个供客户选择的选项"), field="options")
    _mark_responded(complaint, actor=user)
    complaint.solution_type, complaint.solution = solution_type, solution
    complaint.chosen_option = None
    complaint.options.all().delete()
    ComplaintOption.objects.bulk_create(rows)
    _advance(complaint, Stage.SOLUTION)
    complaint.save()
    _event(complaint, Kind.SOLUTION, actor=user, note=str(complaint.get_solution_type_display()))
    _audit(user, "complaint.solution", complaint, solution_type=solution_type, options=len(rows))
    return complaint


@transaction.atomic
def complaint_option_choose(*, complaint: Complaint, user: User, option_id: int) -> Complaint:
    """Record which compensation tier the customer chose."""
    complaint = _lock_open(complaint)
    option = complaint.options.filter(pk=option_id).first()
    if option is None:
        raise DomainError(_("请选择该投诉的一个补偿选项"), field="option")
    complaint.chosen_option = option
    complaint.save(update_fields=["chosen_option"])
    _event(complaint, Kind.OPTION_CHOSEN, actor=user, note=option.label)
    _audit(user, "complaint.option", complaint, option=option.label)
    return complaint


@transaction.atomic
def complaint_step_add(
    *,
    complaint: Complaint,
    user: User,
    title: str,
    deadline: datetime,
    owner: User | None = None,
    department: Department | None = None,
) -> ComplaintStep:
    """执行: one step with its owner, department and deadline."""
    complaint = _lock_open(complaint)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写步骤内容"), field="title")
    if deadline is None:
        raise DomainError(_("请填写步骤截止时间"), field="deadline")
    if timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if owner is None and department is None:
        raise DomainError(_("请指定步骤负责人或部门"), field="owner")
    if not complaint.solution_type:
        raise DomainError(_("请先确定方案,再安排执行步骤"), field="title")
    step = ComplaintStep.objects.create(
        complaint=complaint,
        title=title[:200],
        owner=owner,
        department=department,
        deadline=deadline,
    )
    if department is not None and complaint.department_id is None:
        complaint.department = department
    _advance(complaint, Stage.EXECUTING)
    complaint.save()
    _event(complaint, Kind.STEP_ADDED, actor=user, note=title)
    _audit(user, "complaint.step_add", complaint, step=step.pk)
    return step


@transaction.atomic
def complaint_step_done(*, step: ComplaintStep, user: User) -> ComplaintStep:
    complaint = _lock_open(step.complaint)
    step = ComplaintStep.objects.select_for_update().get(pk=step.pk)
    if step.done_at is None:
        step.done_at = clock.now()
        step.save(update_fields=["done_at"])
        _event(complaint, Kind.STEP_DONE, actor=user, note=step.title)
    return step


@transaction.atomic
def complaint_progress_send(
    *, complaint: Complaint, user: User, text: str, channel: str = "sms"
) -> ComplaintUpdate:
    """进度通知: tell the customer where their complaint stands (sent through messaging)."""
    complaint = _lock_open(complaint)
    text = (text or "").strip()
    if not text:
        raise DomainError(_("请填写进度内容"), field="text")
    if len(text) > 500:
        raise DomainError(_("进度内容最多 500 字"), field="text")
    if channel not in {"sms", "email", "wechat"}:
        raise DomainError(_("不支持的发送渠道:%(value)s") % {"value": channel}, field="channel")
    _mark_responded(complaint, actor=user)
    complaint.save()
    update = ComplaintUpdate.objects.create(
        complaint=complaint, text=text, channel=channel, author=user, sent_at=clock.now()
    )
    body = _("【CareLoop】您的投诉 %(number)s 进度:%(text)s") % {
        "number": complaint.number or complaint.pk,
        "text": text,
    }
    _send_message(complaint, purpose="complaint_progress", body=body, channel=channel)
    _event(complaint, Kind.PROGRESS, actor=user, note=text)
    _audit(user, "complaint.progress", complaint)
    return update


def _shift(complaint: Complaint, hours: float) -> None:
    for field in CLOCK_COLUMNS:
        value = getattr(complaint, field)
        if value is not None:
            setattr(complaint, field, sla.add(value, hours, business=complaint.business_hours))


@transaction.atomic
def complaint_pause(*, complaint: Complaint, user: User, note: str = "") -> Complaint:
    """等待客户: the clocks stop until the customer answers."""
    complaint = _lock_open(complaint)
    if complaint.paused_at is not None:
        raise DomainError(_("计时已暂停"), field="note", code="already_paused")
    _mark_responded(complaint, actor=user)  # waiting for the customer means we spoke to them
    complaint.paused_at = clock.now()
    before = Stage.RESPONDED if complaint.stage in {Stage.NEW, Stage.REOPENED, ""} else None
    complaint.resume_stage, complaint.stage = before or complaint.stage, Stage.WAITING
    complaint.save()
    _event(complaint, Kind.PAUSED, actor=user, note=note)
    _audit(user, "complaint.pause", complaint)
    return complaint


@transaction.atomic
def complaint_resume(*, complaint: Complaint, user: User | None, note: str = "") -> Complaint:
    """The customer answered: the deadlines move on by the paused clock time."""
    complaint = _lock_open(complaint)
    if complaint.paused_at is None:
        raise DomainError(_("计时未暂停"), field="note", code="not_paused")
    now = clock.now()
    hours = max(sla.between(complaint.paused_at, now, business=complaint.business_hours), 0.0)
    _shift(complaint, hours)
    complaint.paused_hours = (complaint.paused_hours or 0) + Decimal(str(round(hours, 2)))
    complaint.paused_at = None
    complaint.stage, complaint.resume_stage = complaint.resume_stage or Stage.RESPONDED, ""
    complaint.save()
    _event(complaint, Kind.RESUMED, actor=user, note=note or f"{hours:.2f}h")
    _audit(user, "complaint.resume", complaint, paused_hours=round(hours, 2))
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, user: User, note: str = "") -> Complaint:
    """已解决: needs a solution, every step done, the customer's chosen option (compensation)
    and at least one progress update sent. The care planner then books the resolution check."""
    complaint = _lock_open(complaint)
    if not complaint.solution_type:
        raise NotReady(_("请先确定解决方案"), field="solution_type", code="solution_missing")
    if (
        complaint.solution_type == Complaint.SolutionType.COMPENSATION
        and not complaint.chosen_option_id
    ):
        raise NotReady(_("请先记录客户选择的补偿选项"), field="option", code="option_missing")
    if complaint.steps.filter(done_at__isnull=True).exists():
        raise NotReady(_("还有未完成的执行步骤"), field="steps", code="steps_open")
    if not complaint.updates.filter(
        sent_at__gte=complaint.reopened_at or complaint.opened_at
    ).exists():
        raise ProgressUpdateMissing(_("解决前至少要向客户发送一次进度通知"), field="progress")
    now = clock.now()
    if complaint.paused_at is not None:
        complaint.paused_at, complaint.resume_stage = None, ""
    complaint.status, complaint.stage = Complaint.Status.RESOLVED, Stage.RESOLVED
    complaint.resolved_at = now
    complaint.first_resolved_at = complaint.first_resolved_at or now
    complaint.save()
    _event(complaint, Kind.RESOLVED, actor=user, note=note)
    _audit(user, "complaint.resolve", complaint)
    return complaint


def _check_task_done(complaint: Complaint) -> int:
    """Mark the complaint's open resolution check (booked by the care planner) done."""
    from careloop.care.models import CallbackTask

    return CallbackTask.objects.filter(
        source_type="complaint",
        source_id=complaint.pk,
        purpose="resolution_check",
        status__in=CallbackTask.OPEN_STATUSES,
    ).update(status=CallbackTask.Status.DONE, closed_at=clock.now())


@transaction.atomic
def complaint_resolution_confirm(
    *, complaint: Complaint, user: User, satisfied: bool, note: str = ""
) -> Complaint:
    """回访确认: the customer is satisfied → closed; not → reopened with fresh clocks."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != Complaint.Status.RESOLVED:
        raise DomainError(
            _("只有已解决的投诉才能回访确认"), field="satisfied", code="complaint_not_resolved"
        )
    _check_task_done(complaint)
    if not satisfied:
        return _reopen(complaint, user=user, note=note or _("回访不满意"))
    complaint.status, complaint.stage = Complaint.Status.CLOSED, Stage.CLOSED
    complaint.closed_at = clock.now()
    complaint.save()
    _event(complaint, Kind.CLOSED, actor=user, note=note)
    _audit(user, "complaint.close", complaint)
    _fire("complaint.closed", complaint)
    return complaint


def _reopen(complaint: Complaint, *, user: User | None, note: str) -> Complaint:
    now = clock.now()
    complaint.reopen_count += 1
    complaint.reopened_at = now
    complaint.status, complaint.stage = Complaint.Status.OPEN, Stage.REOPENED
    complaint.resolved_at = complaint.closed_at = None
    complaint.first_responded_at = None
    complaint.paused_at, complaint.resume_stage = None, ""
    complaint.escalation_level = 0
    _start_clocks(complaint, now)
    complaint.save()
    _event(complaint, Kind.REOPENED, actor=user, note=note)
    _audit(user, "complaint.reopen", complaint, reopen_count=complaint.reopen_count)
    return complaint


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, user: User, note: str = "") -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == Complaint.Status.OPEN:
        raise DomainError(_("投诉仍在处理中,无需重开"), field="note", code="complaint_open")
    return _reopen(complaint, user=user, note=(note or "").strip())


# ---- the SLA watch (every minute) ------------------------------------------------------------

WATCH = (  # event kind, threshold column, clock, escalation level it raises to
    (Kind.FIRST_RESPONSE_WARNING, "first_response_warn_at", "first_response", 0),
    (Kind.FIRST_RESPONSE_BREACH, "first_response_due", "first_response", 1),
    (Kind.FIRST_RESPONSE_HEAD, "first_response_head_at", "first_response", 2),
    (Kind.RESOLUTION_WARNING, "resolution_warn_at", "resolution", 0),
    (Kind.RESOLUTION_BREACH, "resolution_due", "resolution", 1),
    (Kind.RESOLUTION_HEAD, "resolution_head_at", "resolution", 2),
)


def _notify_target(level: int):
    """Who hears about it: the assignee (warning), the team's supervisor (breach), the
    department head (second threshold), as one correlated subquery."""
    if level == 0:
        return F("assignee_id")
    if level == 1:
        supervisors = User.objects.filter(
            team_id=OuterRef("customer__team_id"), role=User.Role.SUPERVISOR, is_active=True
        ).order_by("pk")
        return Subquery(supervisors.values("pk")[:1])
    return F("department__head_id")


@transaction.atomic
def complaint_sla_watch(*, now: datetime | None = None) -> dict[str, int]:
    """Record every warning and breach whose threshold has passed, once per clock cycle.

    Set-based and idempotent: one SELECT and one INSERT per threshold. A run after the worker
    was down catches up on every threshold missed meanwhile (the event keeps its threshold
    time in `due_at`). Breaches raise `escalation_level`; breaches fire webhooks."""
    now = now or clock.now()
    counts: dict[str, int] = {"imported_overdue": 0}
    breached: list[int] = []
    imported_note = _("导入时已超时:仅记录,不逐条通知")
    for kind, column, clock_name, level in WATCH:
        running = Q(status=Complaint.Status.OPEN, paused_at__isnull=True)
        if clock_name == "first_response":
            running &= Q(first_responded_at__isnull=True)
        seen = ComplaintEvent.objects.filter(
            complaint_id=OuterRef("pk"), kind=kind, cycle=OuterRef("reopen_count")
        )
        # An imported complaint's 受理 event is stamped with the import's time: a threshold
        # that had passed before it came in is history (an import of last year's open
        # complaints), recorded and escalated on the ticket but neither sent to a person nor
        # fired as one webhook per row (ADR: imported breaches are recorded silently).
        late = ComplaintEvent.objects.filter(
            complaint_id=OuterRef("pk"), kind=Kind.CREATED, cycle=0, at__gt=OuterRef(column)
        )
        rows = list(
            Complaint.objects.filter(running, **{f"{column}__lte": now})
            .exclude(Exists(seen))
            .annotate(notify_id=_notify_target(level), late=Exists(late))
            .values_list("pk", "reopen_count", column, "notify_id", "late")
            .order_by()
        )
        ComplaintEvent.objects.bulk_create(
            [
                ComplaintEvent(
                    complaint_id=pk,
                    kind=kind,
                    cycle=cycle,
                    at=now,
                    due_at=due,
                    notify_id=None if late else who,
                    note=imported_note if late else "",
                )
                for pk, cycle, due, who, late in rows
            ],
            ignore_conflicts=True,
        )
        ids = [r[0] for r in rows]
        if level and ids:
            Complaint.objects.filter(pk__in=ids, escalation_level__lt=level).update(
                escalation_level=level
            )
            if level == 1:
                breached += [r[0] for r in rows if not r[4]]
                counts["imported_overdue"] += sum(1 for r in rows if r[4])
        counts[str(kind)] = len(ids)
    counts["step_overdue"] = _steps_overdue(now)
    counts["acks"] = _acks_missing(now)
    if breached:
        from careloop.webhooks.services import webhook_fire

        for complaint in Complaint.objects.filter(pk__in=set(breached)):
            webhook_fire(event="complaint.breached", payload=complaint_payload(complaint))
    if any(counts.values()):
        log.info("complaint.sla_watch", extra=counts)
    return counts


def _steps_overdue(now: datetime) -> int:
    """Steps past their deadline: one reminder each, to the owner (else the department head)."""
    rows = list(
        ComplaintStep.objects.filter(
            done_at__isnull=True,
            overdue_at__isnull=True,
            deadline__lte=now,
            complaint__status=Complaint.Status.OPEN,
        )
        .annotate(
            cycle=F("complaint__reopen_count"),
            who=Coalesce("owner_id", "department__head_id"),
        )
        .values_list("pk", "complaint_id", "cycle", "deadline", "who", "title")
        .order_by()
    )
    if not rows:
        return 0
    ComplaintEvent.objects.bulk_create(
        [
            ComplaintEvent(
                complaint_id=complaint_id,
                kind=Kind.STEP_OVERDUE,
                cycle=cycle,
                at=now,
                due_at=deadline,
                notify_id=who,
                note=title,
            )
            for _pk, complaint_id, cycle, deadline, who, title in rows
        ]
    )
    return ComplaintStep.objects.filter(pk__in=[r[0] for r in rows]).update(overdue_at=now)


def _acks_missing(now: datetime) -> int:
    """Online complaints whose acknowledgement was not sent (the worker was down): send now."""
    from careloop.complaints.models import ONLINE_CHANNELS

    ids = list(
        Complaint.objects.filter(
            status=Complaint.Status.OPEN,
            ack_sent_at__isnull=True,
            channel__in=ONLINE_CHANNELS,
            clock_started_at__isnull=False,
            opened_at__gte=now - timedelta(days=1),
            opened_at__lte=now - timedelta(minutes=5),
        ).values_list("pk", flat=True)[:500]
    )
    if not ids:
        return 0
    from careloop.complaints.tasks import complaint_ack_job

    for pk in ids:
        transaction.on_commit(lambda pk=pk: complaint_ack_job(pk))
    return len(ids)
