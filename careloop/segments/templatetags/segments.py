"""`{% load segments %}`: segment values in words on the pages."""

from django import template

from careloop.segments.reasons import health_reasons_text

register = template.Library()


@register.filter
def health_reasons(reasons) -> str:
    """`{{ customer.health_reasons|health_reasons }}` → "最近一次下单 75 天前；…"."""
    return health_reasons_text(reasons)
