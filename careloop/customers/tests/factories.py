"""Small builders for customers, orders and contacts in tests (through the real services)."""

from datetime import datetime
from decimal import Decimal
from itertools import count
from zoneinfo import ZoneInfo

from careloop.complaints.models import Complaint
from careloop.customers.models import Customer, Interaction, Order
from careloop.customers.services import customer_create, customers_refresh_order_summary

SHANGHAI = ZoneInfo("Asia/Shanghai")
_seq = count(1)


def at(text: str) -> datetime:
    """'2026-11-01 10:00' in Asia/Shanghai."""
    fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
    return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)


def make_customer(name: str = "张三", *, team=None, owner=None, tags=(), **fields) -> Customer:
    n = next(_seq)
    fields.setdefault("external_id", f"C{n:05d}")
    fields.setdefault("phone", f"1380000{n:04d}")
    return customer_create(actor=None, name=name, team=team, owner=owner, tags=tags, **fields)


def make_order(customer: Customer, amount: str = "100.00", when: str = "2026-10-01", **fields):
    n = next(_seq)
    order = Order.objects.create(
        customer=customer,
        external_id=fields.pop("external_id", f"O{n:06d}"),
        ordered_at=at(when),
        amount=Decimal(amount),
        **fields,
    )
    customers_refresh_order_summary(customer_ids=[customer.pk])
    return order


def make_complaint(customer: Customer, when: str = "2026-10-05", **fields) -> Complaint:
    fields.setdefault("category", "物流延误")
    fields.setdefault("description", "快递一周还没到")
    return Complaint.objects.create(customer=customer, opened_at=at(when), **fields)


def make_contact(customer: Customer, kind: str = "consult", when: str = "2026-10-03", **fields):
    fields.setdefault("text", "咨询产品使用方法")
    return Interaction.objects.create(customer=customer, kind=kind, occurred_at=at(when), **fields)
