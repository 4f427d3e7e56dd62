"""Page numbers for every list page (no page shows an unbounded list)."""

from django.core.paginator import Page, Paginator


def paginate(queryset, page: str | int | None, per_page: int = 25) -> Page:
    return Paginator(queryset, per_page).get_page(page)
