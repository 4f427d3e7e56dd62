"""/api/v1/customers and /api/v1/orders: the list, the 360 profile, orders and contacts.

Every read goes through a selector scoped to the token's user (`visible_to`): a customer
outside the user's scope answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from careloop.accounts.models import Team, User
from careloop.accounts.selectors import users_visible_to
from careloop.core.api import Paged, PageIn, paged
from careloop.core.errors import DomainError
from careloop.customers import selectors, services
from careloop.customers.models import Customer
from careloop.customers.schemas import (
    CustomerDetailOut,
    CustomerFiltersIn,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    InteractionIn,
    InteractionOut,
    OrderFiltersIn,
    OrderIn,
    OrderOut,
)

router = Router(tags=["customers"])
orders_router = Router(tags=["orders"])


def _owner(user: User, username: str | None) -> User | None:
    """An owner the acting user may assign (their team; admin: anyone)."""
    if not username:
        return None
    owner = users_visible_to(user).filter(username=username).first()
    if owner is None:
        message = _("负责人不存在或不在你的团队:%(value)s") % {"value": username}
        raise DomainError(message, field="owner")
    return owner


def _team(user: User, code: str | None) -> Team | None:
    """A team the acting user may file customers under (their own; admin: any)."""
    if not code:
        return None
    team = Team.objects.filter(code=code).first()
    if team is None or not (user.is_admin or team.pk == user.team_id):
        raise DomainError(_("团队不存在或无权使用:%(value)s") % {"value": code}, field="team")
    return team


def _people(user: User, data: dict) -> dict:
    """Replace usernames and team codes sent by the client with the rows they name."""
    if "owner" in data:
        data["owner"] = _owner(user, data["owner"])
    if "team" in data:
        data["team"] = _team(user, data["team"])
    return data


def _profile(customer: Customer) -> Customer:
    """Tags and the order summary for one customer (two queries)."""
    selectors.with_tags([customer])
    customer.summary = selectors.customer_order_summary(customer)
    return customer


@router.get("/customers", response=Paged[CustomerOut], summary="客户列表")
def list_customers(request, filters: Query[CustomerFiltersIn], page: Query[PageIn]):
    """Same search, filters and sorts as the customer list page; at most 200 a page. `segment`
    keeps a saved segment's customers (404 naming `segment` if you may not see it)."""
    if filters.segment:
        from careloop.segments.selectors import saved_segment_for

        saved_segment_for(request.user, filters.segment)
    qs = selectors.customer_list(
        user=request.user,
        filters=selectors.CustomerFilters(
            q=filters.q,
            region=filters.region,
            industry=filters.industry,
            tag=filters.tag,
            segment=filters.segment,
            sort=filters.sort,
        ),
    )
    if filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.team:
        qs = qs.filter(team__code=filters.team)
    return paged(qs, page, selectors.with_tags)


@router.get("/customers/lookup", response=CustomerDetailOut, summary="来电弹屏:按手机号查客户")
def lookup_customer(request, phone: str):
    return _profile(selectors.customer_by_phone(request.user, phone))


@router.get("/customers/{int:customer_id}", response=CustomerDetailOut, summary="客户 360 资料")
def get_customer(request, customer_id: int):
    return _profile(selectors.customer_for(request.user, customer_id))


@router.post("/customers", response={201: CustomerDetailOut}, summary="新建客户")
def create_customer(request, payload: CustomerIn):
    data = _people(request.user, payload.model_dump(exclude_unset=True))
    customer = services.customer_create(actor=request.user, **data)
    return Status(201, _profile(customer))


@router.patch("/customers/{int:customer_id}", response=CustomerDetailOut, summary="修改客户")
def update_customer(request, customer_id: int, payload: CustomerPatch):
    """Only the fields sent change; `tags` replaces the tag set. All or nothing."""
    customer = selectors.customer_for(request.user, customer_id)
    data = _people(request.user, payload.model_dump(exclude_unset=True))
    tags = data.pop("tags", None)
    with transaction.atomic():
        customer = services.customer_update(actor=request.user, customer=customer, **data)
        if tags is not None:
            services.customer_tags_set(actor=request.user, customer=customer, tags=tags)
    return _profile(customer)


@router.get("/customers/{int:customer_id}/orders", response=Paged[OrderOut], summary="客户的订单")
def customer_orders(request, customer_id: int, page: Query[PageIn]):
    customer = selectors.customer_for(request.user, customer_id)
    return paged(customer.orders.select_related("customer"), page)


@router.get(
    "/customers/{int:customer_id}/interactions",
    response=Paged[InteractionOut],
    summary="客户的接触记录",
)
def customer_interactions(request, customer_id: int, page: Query[PageIn]):
    customer = selectors.customer_for(request.user, customer_id)
    return paged(customer.interactions.select_related("author"), page)


@router.post(
    "/customers/{int:customer_id}/interactions",
    response={201: InteractionOut},
    summary="记录一次接触",
)
def create_interaction(request, customer_id: int, payload: InteractionIn):
    customer = selectors.customer_for(request.user, customer_id)
    interaction = services.interaction_create(
        actor=request.user, customer=customer, **payload.model_dump()
    )
    return Status(201, interaction)


@orders_router.get("/orders", response=Paged[OrderOut], summary="订单列表")
def list_orders(request, filters: Query[OrderFiltersIn], page: Query[PageIn]):
    return paged(selectors.order_list(user=request.user, **filters.model_dump()), page)


@orders_router.post("/orders", response={201: OrderOut}, summary="新建订单")
def create_order(request, payload: OrderIn):
    data = payload.model_dump()
    customer = selectors.customer_by_external_id(request.user, data.pop("customer_external_id"))
    return Status(201, services.order_create(actor=request.user, customer=customer, **data))
