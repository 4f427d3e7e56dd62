"""Page numbers for every list page (no page shows an unbounded list).

Counting a million rows on every page view costs more than the page itself, so the count stops
at `count_cap`: the pager then says "超过 10,000" and the user narrows the search instead."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, count_cap: int = COUNT_CAP, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count_cap = count_cap

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet) and self.count_cap:
            return self.object_list.order_by().values("pk")[: self.count_cap + 1].count()
        return super().count

    @property
    def capped(self) -> bool:
        return bool(self.count_cap) and self.count > self.count_cap

    @cached_property
    def num_pages(self) -> int:
        if self.capped:
            return -(-self.count_cap // self.per_page)
        return super().num_pages

    def page(self, number) -> Page:
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)


def paginate(queryset, page: str | int | None, per_page: int = 25, count_cap: int = 0) -> Page:
    return CappedPaginator(queryset, per_page, count_cap=count_cap).get_page(page)
