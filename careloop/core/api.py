"""What every app's Ninja router shares: page parameters and the paged response shape."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 25

T = TypeVar("T")


class PageIn(Schema):
    """`limit`/`offset`, or `page`/`page_size` (1-based); at most 200 items a page."""

    limit: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
    offset: int | None = Field(None, ge=0)
    page: int | None = Field(None, ge=1)
    page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)

    def window(self) -> tuple[int, int]:
        """(offset, limit) of the requested page."""
        if self.page is not None:
            size = self.page_size or self.limit or DEFAULT_PAGE_SIZE
            return (self.page - 1) * size, size
        return self.offset or 0, self.limit or self.page_size or DEFAULT_PAGE_SIZE


class Paged(Schema, Generic[T]):
    count: int
    offset: int
    limit: int
    items: list[T]


def paged(
    queryset: QuerySet, page: PageIn, prepare: Callable[[list], Any] | None = None
) -> dict[str, Any]:
    """One COUNT and one slice; `prepare` decorates the page (e.g. tags in one query)."""
    offset, limit = page.window()
    count = queryset.count()
    items = list(queryset[offset : offset + limit]) if offset < count else []
    if prepare is not None and items:
        prepare(items)
    return {"count": count, "offset": offset, "limit": limit, "items": items}


def local(value: datetime | None) -> datetime | None:
    """In: a naive datetime from a client is read in the company's time zone. Out: every
    datetime is written with the company's offset ("2026-11-01T10:00:00+08:00")."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return timezone.localtime(value)


# Every datetime in and out of the API: in the company's time zone (Asia/Shanghai).
LocalDateTime = Annotated[datetime, AfterValidator(local)]

# Money out of the API: a string with two decimals ("900.00") on every database engine.
CENT = Decimal("0.01")
Money = Annotated[Decimal, AfterValidator(lambda value: value.quantize(CENT))]
