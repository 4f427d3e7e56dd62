"""Writes on customers: create, update, notes, tags, merge, and the order summary refresh.

Every write that a person makes is audited (`audit_record`) in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import Team, User
from careloop.accounts.services import audit_record
from careloop.core.errors import DomainError
from careloop.core.phones import InvalidPhone, normalize_phone, phone_tail
from careloop.core.text import pinyin_full, pinyin_initials
from careloop.customers.models import Customer, CustomerKey, Interaction, Order, Tag
from careloop.emotion.services import interaction_emotion

TAG_SEPARATORS = re.compile(r"[;,、;,]+")
EDITABLE_FIELDS = (
    "external_id",
    "name",
    "gender",
    "phone",
    "email",
    "birthday",
    "region",
    "city",
    "industry",
    "company",
    "owner",
    "team",
    "do_not_contact",
    "registered_at",
)


class DuplicatePhone(DomainError):
    code, status = "duplicate_phone", 409


class DuplicateExternalId(DomainError):
    code, status = "duplicate_external_id", 409


def split_tags(raw: str | Iterable[str]) -> list[str]:
    """'VIP;华东、老客户' -> ['VIP', '华东', '老客户'] (order kept, duplicates dropped)."""
    parts = TAG_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw)
    seen: dict[str, None] = {}
    for part in parts:
        name = part.strip()[:32]
        if name:
            seen.setdefault(name, None)
    return list(seen)


def derived_name_fields(name: str) -> dict[str, str]:
    return {"name_initials": pinyin_initials(name), "name_pinyin": pinyin_full(name)}


def _clean_phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhone as exc:
        raise DomainError(_("手机号码无效:%(value)s") % {"value": raw}, field="phone") from exc


def _apply(customer: Customer, data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set the given fields; returns {field: (old, new)} for those that changed."""
    changes: dict[str, tuple[Any, Any]] = {}
    for field in EDITABLE_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "phone":
            value = _clean_phone(value or "")
        elif field in {"name", "email", "region", "city", "industry", "company"}:
            value = (value or "").strip()
            if field == "email":
                value = value.lower()
        elif field == "external_id":
            value = (value or "").strip() or None
        old = getattr(customer, field)
        if old != value:
            setattr(customer, field, value)
            changes[field] = (_plain(old), _plain(value))
    if "name" in changes:
        for key, value in derived_name_fields(customer.name).items():
            setattr(customer, key, value)
    if "phone" in changes:
        customer.phone_tail = phone_tail(customer.phone)
    if "owner" in changes and customer.owner is not None and "team" not in data:
        customer.team = customer.owner.team or customer.team
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, User | Team):
        return str(value.pk)
    return value


def _check_unique(customer: Customer) -> None:
    if customer.phone:
        clash = Customer.objects.filter(phone=customer.phone).exclude(pk=customer.pk).first()
        if clash:
            raise DuplicatePhone(
                _("手机号已属于客户 %(name)s(%(id)s)")
                % {"name": clash.name, "id": clash.external_id or clash.pk},
                field="phone",
            )
    if customer.external_id:
        key = CustomerKey.objects.filter(external_id=customer.external_id).first()
        if key and key.customer_id != customer.pk:
            raise DuplicateExternalId(
                _("客户编号 %(value)s 已存在") % {"value": customer.external_id},
                field="external_id",
            )


@transaction.atomic
def customer_create(*, actor: User | None, tags: Iterable[str] = (), **data: Any) -> Customer:
    """Create one customer (pages, API); imports use the bulk path in careloop.imports."""
    if not (data.get("name") or "").strip():
        raise DomainError(_("请填写客户姓名"), field="name")
    customer = Customer()
    _apply(customer, data)
    if customer.team_id is None and actor is not None and not actor.is_admin:
        customer.team_id = actor.team_id
    _check_unique(customer)
    customer.full_clean(exclude=["tags"])
    customer.save()
    if customer.external_id:
        CustomerKey.objects.create(external_id=customer.external_id, customer=customer)
    if tags:
        _set_tags(customer, split_tags(tags))
    audit_record(actor=actor, action="customer.create", target=customer, customer_id=customer.pk)
    return customer


@transaction.atomic
def customer_update(*, actor: User | None, customer: Customer, **data: Any) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    changes = _apply(customer, data)
    if not changes:
        return customer
    _check_unique(customer)
    customer.full_clean(exclude=["tags"])
    customer.save()
    if "external_id" in changes and customer.external_id:
        CustomerKey.objects.get_or_create(external_id=customer.external_id, customer=customer)
    audit_record(
        actor=actor,
        action="customer.update",
        target=customer,
        customer_id=customer.pk,
        detail={"changes": changes},
    )
    return customer


def _set_tags(customer: Customer, names: list[str]) -> None:
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    customer.tags.set(Tag.objects.filter(name__in=names))


@transaction.atomic
def customer_tags_set(*, actor: User, customer: Customer, tags: str | Iterable[str]) -> list[str]:
    names = split_tags(tags)
    before = sorted(customer.tags.values_list("name", flat=True))
    _set_tags(customer, names)
    after = sorted(names)
    if before != after:
        audit_record(
            actor=actor,
            action="customer.tags",
            target=customer,
            customer_id=customer.pk,
            detail={"before": before, "after": after},
        )
    return after


@transaction.atomic
def customer_note_add(*, actor: User, customer: Customer, text: str) -> Interaction:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("备注内容不能为空"), field="text")
    if len(text) > 2000:
        raise DomainError(_("备注最多 2000 字"), field="text")
    note = Interaction.objects.create(
        customer=customer,
        occurred_at=timezone.now(),
        kind=Interaction.Kind.NOTE,
        channel="",
        text=text,
        author=actor,
        **interaction_emotion(text),
    )
    audit_record(actor=actor, action="customer.note", target=note, customer_id=customer.pk)
    return note


@transaction.atomic
def customer_phone_reveal(*, actor: User, customer: Customer) -> str:
    """An agent reveals a masked number to dial it; the reveal is audited."""
    audit_record(
        actor=actor, action="customer.phone_reveal", target=customer, customer_id=customer.pk
    )
    return customer.phone_national


@transaction.atomic
def customer_merge(*, actor: User, survivor: Customer, duplicate: Customer) -> Customer:
    """Fold a duplicate into the survivor: its orders, complaints, contacts, tags and external ids
    move over, blank profile fields are filled from it, then it is deleted."""
    from careloop.complaints.models import Complaint
    from careloop.customers.models import Order

    if survivor.pk == duplicate.pk:
        raise DomainError(_("不能与自身合并"), field="duplicate")
    survivor = Customer.objects.select_for_update().get(pk=survivor.pk)
    duplicate = Customer.objects.select_for_update().get(pk=duplicate.pk)
    moved = {
        "orders": Order.objects.filter(customer=duplicate).update(customer=survivor),
        "complaints": Complaint.objects.filter(customer=duplicate).update(customer=survivor),
        "interactions": Interaction.objects.filter(customer=duplicate).update(customer=survivor),
    }
    CustomerKey.objects.filter(customer=duplicate).update(customer=survivor)
    survivor.tags.add(*duplicate.tags.all())
    filled = []
    for field in (
        "email",
        "birthday",
        "region",
        "city",
        "industry",
        "company",
        "gender",
        "registered_at",
        "owner_id",
        "team_id",
    ):
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
            filled.append(field)
    phone = duplicate.phone
    dup_label = {"id": duplicate.pk, "external_id": duplicate.external_id, "name": duplicate.name}
    survivor.do_not_contact = survivor.do_not_contact or duplicate.do_not_contact
    duplicate.delete()
    if not survivor.phone and phone:
        survivor.phone, survivor.phone_tail = phone, phone_tail(phone)
        filled.append("phone")
    survivor.save()
    customers_refresh_order_summary(customer_ids=[survivor.pk])
    audit_record(
        actor=actor,
        action="customer.merge",
        target=survivor,
        customer_id=survivor.pk,
        detail={"merged": dup_label, "moved": moved, "filled": filled},
    )
    return survivor


def customers_refresh_order_summary(*, customer_ids: Iterable[int] | None = None) -> int:
    """Recompute first/last order, count and lifetime spend from orders, in one UPDATE.

    `customer_ids=None` refreshes every customer (after a bulk import); the covering index
    (customer, ordered_at, amount) makes the aggregate an index-only scan.
    """
    where, params = "", []
    if customer_ids is not None:
        ids = list(customer_ids)
        if not ids:
            return 0
        where = f"WHERE c.id IN ({','.join(['%s'] * len(ids))})"
        params = ids
    c, o = Customer._meta.db_table, "customers_order"
    sql = f"""
        UPDATE {c} AS c SET
          first_order_at = (SELECT MIN(o.ordered_at) FROM {o} o WHERE o.customer_id = c.id),
          last_order_at = (SELECT MAX(o.ordered_at) FROM {o} o WHERE o.customer_id = c.id),
          order_count = (SELECT COUNT(*) FROM {o} o WHERE o.customer_id = c.id),
          lifetime_spend = COALESCE((SELECT SUM(o.amount) FROM {o} o WHERE o.customer_id = c.id), 0)
        {where}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# Contacts and orders written one at a time (API, pages); imports use the bulk path.
CLOCK_SKEW = timedelta(minutes=5)
INTERACTION_TEXT_MAX = 5000


def _not_future(moment: datetime, *, field: str) -> datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + CLOCK_SKEW:
        raise DomainError(_("时间不能晚于现在:%(value)s") % {"value": moment}, field=field)
    return moment


def _score(value: Any, *, field: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(
            _("%(field)s 须为 %(low)s–%(high)s 的整数:%(value)s")
            % {"field": field.upper(), "low": low, "high": high, "value": value},
            field=field,
        )
    return value


@transaction.atomic
def interaction_create(
    *,
    actor: User | None,
    customer: Customer,
    kind: str,
    channel: str = "",
    text: str = "",
    occurred_at: datetime | None = None,
    nps: int | None = None,
    csat: int | None = None,
) -> Interaction:
    """Record one contact (consultation, callback, survey answer, message, note)."""
    if kind not in Interaction.Kind.values:
        raise DomainError(_("未知的接触类型:%(value)s") % {"value": kind}, field="kind")
    channel = channel or ""
    if channel and channel not in Interaction.Channel.values:
        raise DomainError(_("未知的渠道:%(value)s") % {"value": channel}, field="channel")
    text = (text or "").strip()
    if len(text) > INTERACTION_TEXT_MAX:
        raise DomainError(_("内容最多 %(max)s 字") % {"max": INTERACTION_TEXT_MAX}, field="text")
    nps = _score(nps, field="nps", low=0, high=10)
    csat = _score(csat, field="csat", low=1, high=5)
    if not text and nps is None and csat is None:
        raise DomainError(_("请填写内容或评分"), field="text")
    occurred_at = _not_future(occurred_at or timezone.now(), field="occurred_at")
    interaction = Interaction(
        customer=customer,
        occurred_at=occurred_at,
        kind=kind,
        channel=channel,
        text=text,
        nps=nps,
        csat=csat,
        author=actor if actor is not None and actor.pk else None,
        **interaction_emotion(text),
    )
    interaction.full_clean(exclude=["customer", "author", "dedupe_key"])
    interaction.save()
    audit_record(
        actor=actor,
        action="interaction.create",
        target=interaction,
        customer_id=customer.pk,
        detail={"kind": kind, "channel": channel},
    )
    return interaction


class DuplicateOrder(DomainError):
    code, status = "duplicate_external_id", 409


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError(_("金额无效:%(value)s") % {"value": value}, field="amount") from exc
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise DomainError(_("金额无效:%(value)s") % {"value": value}, field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("金额最多两位小数:%(value)s") % {"value": value}, field="amount")
    return amount.quantize(Decimal("0.01"))


@transaction.atomic
def order_create(
    *,
    actor: User | None,
    customer: Customer,
    external_id: str,
    ordered_at: datetime,
    amount: Decimal | str | int,
    product: str = "",
    category: str = "",
    channel: str = "",
) -> Order:
    """Create one order and refresh that customer's order summary; 409 on a known order id."""
    external_id = (external_id or "").strip()
    if not external_id:
        raise DomainError(_("请填写订单号"), field="external_id")
    if len(external_id) > 64:
        raise DomainError(_("订单号最多 64 个字符"), field="external_id")
    if ordered_at is None:
        raise DomainError(_("请填写下单时间"), field="ordered_at")
    order = Order(
        external_id=external_id,
        customer=customer,
        ordered_at=_not_future(ordered_at, field="ordered_at"),
        amount=_amount(amount),
        product=(product or "").strip(),
        category=(category or "").strip(),
        channel=(channel or "").strip(),
    )
    duplicate = DuplicateOrder(
        _("订单号 %(value)s 已存在") % {"value": external_id}, field="external_id"
    )
    if Order.objects.filter(external_id=external_id).exists():
        raise duplicate
    order.full_clean(exclude=["customer", "external_id"])
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:  # a concurrent writer got there first
        raise duplicate from exc
    customers_refresh_order_summary(customer_ids=[customer.pk])
    audit_record(
        actor=actor,
        action="order.create",
        target=order,
        customer_id=customer.pk,
        detail={"external_id": external_id, "amount": str(order.amount)},
    )
    return order
