"""/api/v1/customers, /orders and contacts as each role sees them."""

import json
from decimal import Decimal

import pytest

from careloop.accounts.models import AuditLog
from careloop.accounts.tests.apiclient import ApiClient, api_as
from careloop.customers.models import Customer, Interaction, Order
from careloop.customers.tests.factories import make_contact, make_customer, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(team_east, agent_li):
    """华东 customer with a phone, tags, an owner and orders."""
    customer = make_customer(
        "张三", team=team_east, owner=agent_li, gender="M", phone="138 1234 5678",
        company="杭州恒达机械有限公司", region="浙江", industry="制造业", tags="VIP;老客户",
    )  # fmt: skip
    make_order(customer, "900.00", "2026-10-01", external_id="O-Z1")
    make_order(customer, "100.50", "2024-01-01", external_id="O-Z2")
    return customer


@pytest.fixture
def wu(team_south):
    return make_customer("吴六", team=team_south, gender="F", region="广东", industry="零售")


@pytest.fixture
def owned_in_south(team_south, agent_li):
    """Filed under 华南 but owned by agent_li of 华东: li sees it, 华东's supervisor does not."""
    return make_customer("周七", team=team_south, owner=agent_li, region="广东")


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(c["name"] for c in response.json()["items"])


def assert_error(response, status: int, field: str | None, code: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    assert body["field"] == field
    assert body["message"]
    if code:
        assert body["code"] == code


# --- scoping: who sees which customers ---------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_wang", ["吴六", "周七", "张三"]),
        ("supervisor_zhao", ["张三"]),
        ("agent_li", ["周七", "张三"]),
        ("agent_chen", ["吴六", "周七"]),
    ],
)
def test_list_is_scoped_per_role(request, persona, expected, zhang, wu, owned_in_south):
    api = api_as(request.getfixturevalue(persona))
    assert names(api.get("/customers")) == sorted(expected)


def test_outside_scope_is_404_like_missing(agent_chen, zhang):
    api = api_as(agent_chen)
    hidden, missing = api.get(f"/customers/{zhang.pk}"), api.get("/customers/999999")
    assert_error(hidden, 404, None, "not_found")
    assert hidden.json() == missing.json()
    assert_error(api.get(f"/customers/{zhang.pk}/orders"), 404, None)
    assert_error(api.get(f"/customers/{zhang.pk}/interactions"), 404, None)
    assert_error(api.patch(f"/customers/{zhang.pk}", {"city": "杭州"}), 404, None)
    response = api.post(f"/customers/{zhang.pk}/interactions", {"kind": "note", "text": "x"})
    assert_error(response, 404, None)
    assert not Interaction.objects.exists()
    assert Customer.objects.get(pk=zhang.pk).city == ""


def test_supervisor_of_other_team_cannot_see_owned_elsewhere(supervisor_zhao, owned_in_south):
    assert_error(api_as(supervisor_zhao).get(f"/customers/{owned_in_south.pk}"), 404, None)


# --- list: filters, paging, query count ---------------------------------------------------


def test_list_filters_and_sort(admin_wang, agent_li, zhang, wu, owned_in_south):
    api = api_as(admin_wang)
    assert names(api.get("/customers", {"q": "zs"})) == ["张三"]
    assert names(api.get("/customers", {"q": "5678"})) == ["张三"]
    assert names(api.get("/customers", {"q": "+86 138-1234-5678"})) == ["张三"]
    assert names(api.get("/customers", {"region": "广东"})) == ["吴六", "周七"]
    assert names(api.get("/customers", {"industry": "制造业"})) == ["张三"]
    assert names(api.get("/customers", {"owner": "li"})) == ["周七", "张三"]
    assert names(api.get("/customers", {"owner": "nobody"})) == []
    assert names(api.get("/customers", {"tag": "VIP"})) == ["张三"]
    assert names(api.get("/customers", {"team": "south"})) == ["吴六", "周七"]
    by_spend = api.get("/customers", {"sort": "-spend"}).json()["items"]
    assert by_spend[0]["name"] == "张三"
    assert_error(api.get("/customers", {"sort": "bogus"}), 422, "sort", "validation_error")


def test_list_item_shape(agent_li, zhang):
    item = api_as(agent_li).get("/customers").json()["items"][0]
    assert item["phone"] == "138****5678"
    assert item["tags"] == ["VIP", "老客户"]
    assert (item["owner"], item["team"], item["display_name"]) == ("li", "east", "张三 先生")
    assert (item["order_count"], item["lifetime_spend"]) == (2, "1000.50")


def test_list_paging(admin_wang, team_east):
    for i in range(7):
        make_customer(f"客户{i}", team=team_east)
    api = api_as(admin_wang)
    body = api.get("/customers", {"limit": 3, "offset": 6, "sort": "created"}).json()
    assert (body["count"], body["offset"], body["limit"]) == (7, 6, 3)
    assert [c["name"] for c in body["items"]] == ["客户6"]
    body = api.get("/customers", {"page": 2, "page_size": 2, "sort": "created"}).json()
    assert (body["offset"], [c["name"] for c in body["items"]]) == (2, ["客户2", "客户3"])
    assert api.get("/customers", {"offset": 50}).json()["items"] == []
    assert_error(api.get("/customers", {"limit": 201}), 422, "limit")
    assert_error(api.get("/customers", {"page": 0}), 422, "page")
    assert api.get("/customers", {"limit": 200}).status_code == 200


def test_list_query_count(agent_li, team_east, django_assert_num_queries):
    for i in range(50):
        make_customer(f"客户{i}", team=team_east, owner=agent_li, tags=["VIP", f"批次{i % 3}"])
    api = api_as(agent_li)
    api.get("/me")  # the first call stamps the token's last_used_at
    # token + user, the agent's owned customers outside the team, COUNT, one page of customers
    # (owner, team joined), their tags
    with django_assert_num_queries(5):
        response = api.get("/customers", {"limit": 50})
    items = response.json()["items"]
    assert len(items) == 50
    assert all(len(c["tags"]) == 2 and c["owner"] == "li" for c in items)


# --- one customer ---------------------------------------------------------------------------


def test_get_customer_profile_for_agent_masks_phone(agent_li, zhang, django_assert_num_queries):
    api = api_as(agent_li)
    api.get("/me")
    # token + user, the customer, its tags, its 12-month order summary
    with django_assert_num_queries(4):
        response = api.get(f"/customers/{zhang.pk}")
    body = response.json()
    assert body["phone"] == "138****5678"
    assert (body["name"], body["salutation"], body["tags"]) == ("张三", "张先生", ["VIP", "老客户"])
    assert (body["owner"], body["team"], body["company"]) == ("li", "east", "杭州恒达机械有限公司")
    summary = body["summary"]
    assert (summary["order_count"], summary["lifetime_spend"]) == (2, "1000.50")
    assert (summary["orders_12m"], summary["spend_12m"]) == (1, "900.00")
    assert summary["first_order_at"] == "2024-01-01T00:00:00+08:00"


@pytest.mark.parametrize("persona", ["supervisor_zhao", "admin_wang"])
def test_get_customer_shows_phone_to_roles_that_may(request, persona, zhang):
    api = api_as(request.getfixturevalue(persona))
    assert api.get(f"/customers/{zhang.pk}").json()["phone"] == "13812345678"


# --- create and update ----------------------------------------------------------------------


def test_agent_creates_customer_in_own_team(agent_li):
    payload = {
        "name": "孙八",
        "external_id": "C-NEW",
        "gender": "F",
        "phone": "+86 139-0000-1111",
        "tags": "新客;华东",
        "owner": "li",
        "birthday": "1990-05-01",
    }
    response = api_as(agent_li).post("/customers", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["team"], body["owner"]) == ("孙八", "east", "li")
    assert (body["phone"], body["tags"], body["birthday"]) == (
        "139****1111", ["华东", "新客"], "1990-05-01",
    )  # fmt: skip
    customer = Customer.objects.get(external_id="C-NEW")
    assert customer.phone == "+8613900001111"
    assert customer.name_initials == "sb"
    assert AuditLog.objects.filter(action="customer.create", customer_id=customer.pk).exists()


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": "孙八", "phone": "1"}, 400, "phone"),
        ({"name": "孙八", "phone": "abc"}, 400, "phone"),
        ({"phone": "13900001111"}, 422, "name"),
        ({"name": "  "}, 400, "name"),
        ({"name": "孙八", "gender": "X"}, 422, "gender"),
        ({"name": "孙八", "birthday": "1990-13-01"}, 422, "birthday"),
        ({"name": "孙八", "nmae": "typo"}, 422, "nmae"),
        ({"name": "孙八", "owner": "chen"}, 400, "owner"),
        ({"name": "孙八", "team": "south"}, 400, "team"),
        ({"name": "孙八", "external_id": "x" * 65}, 422, "external_id"),
    ],
)
def test_create_customer_refusals_name_the_field(agent_li, agent_chen, payload, status, field):
    assert_error(api_as(agent_li).post("/customers", payload), status, field)
    assert not Customer.objects.exists()
    assert not AuditLog.objects.filter(action="customer.create").exists()


def test_create_duplicate_phone_is_409(agent_li, zhang):
    response = api_as(agent_li).post("/customers", {"name": "张三丰", "phone": "13812345678"})
    assert_error(response, 409, "phone", "duplicate_phone")


def test_malformed_json_is_400_json(agent_li):
    response = api_as(agent_li).post("/customers", "{not json")
    assert response.status_code in {400, 422}
    assert set(response.json()) >= {"code", "message", "field"}


def test_patch_changes_only_sent_fields_and_replaces_tags(agent_li, zhang):
    api = api_as(agent_li)
    response = api.patch(f"/customers/{zhang.pk}", {"city": "杭州", "tags": ["重点", "VIP"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["region"], body["tags"]) == ("杭州", "浙江", ["VIP", "重点"])
    actions = set(AuditLog.objects.filter(customer_id=zhang.pk).values_list("action", flat=True))
    assert {"customer.update", "customer.tags"} <= actions
    assert api.patch(f"/customers/{zhang.pk}", {"owner": None}).json()["owner"] is None


def test_patch_refusal_writes_nothing(agent_li, zhang):
    api = api_as(agent_li)
    response = api.patch(f"/customers/{zhang.pk}", {"city": "杭州", "phone": "1", "tags": []})
    assert_error(response, 400, "phone")
    zhang.refresh_from_db()
    assert (zhang.city, zhang.tags.count()) == ("", 2)
    assert_error(api.patch(f"/customers/{zhang.pk}", {"name": None}), 422, "name")


def test_only_admin_moves_a_customer_to_another_team(agent_li, agent_chen, admin_wang, zhang):
    response = api_as(agent_li).patch(f"/customers/{zhang.pk}", {"team": "south"})
    assert_error(response, 400, "team")
    assert_error(api_as(agent_li).patch(f"/customers/{zhang.pk}", {"owner": "chen"}), 400, "owner")
    response = api_as(admin_wang).patch(f"/customers/{zhang.pk}", {"team": "south", "owner": None})
    assert response.json()["team"] == "south"
    assert_error(api_as(agent_li).get(f"/customers/{zhang.pk}"), 404, None)


def test_supervisor_updates_team_customer_agent_of_other_team_cannot(
    supervisor_zhao, agent_chen, zhang
):
    response = api_as(supervisor_zhao).patch(f"/customers/{zhang.pk}", {"city": "宁波"})
    assert response.status_code == 200
    assert_error(api_as(agent_chen).patch(f"/customers/{zhang.pk}", {"city": "广州"}), 404, None)
    assert Customer.objects.get(pk=zhang.pk).city == "宁波"


# --- screen-pop lookup --------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "138-1234-5678"])
def test_lookup_by_phone(agent_li, zhang, phone):
    body = api_as(agent_li).get("/customers/lookup", {"phone": phone}).json()
    assert (body["id"], body["phone"]) == (zhang.pk, "138****5678")


def test_lookup_refusals(agent_li, agent_chen, zhang):
    hidden = api_as(agent_chen).get("/customers/lookup", {"phone": "13812345678"})
    assert_error(hidden, 404, "phone", "not_found")
    unknown = api_as(agent_li).get("/customers/lookup", {"phone": "13900000000"})
    assert unknown.json() == hidden.json()
    assert_error(api_as(agent_li).get("/customers/lookup", {"phone": "12"}), 400, "phone")
    assert_error(api_as(agent_li).get("/customers/lookup"), 422, "phone")


# --- orders -------------------------------------------------------------------------------


def test_customer_orders_paginated(agent_li, zhang):
    body = api_as(agent_li).get(f"/customers/{zhang.pk}/orders", {"limit": 1}).json()
    assert body["count"] == 2
    assert [(o["external_id"], o["amount"]) for o in body["items"]] == [("O-Z1", "900.00")]
    assert body["items"][0]["customer_external_id"] == zhang.external_id


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_wang", ["O-W1", "O-Z1", "O-Z2"]),
        ("supervisor_zhao", ["O-Z1", "O-Z2"]),
        ("agent_li", ["O-Z1", "O-Z2"]),
        ("agent_chen", ["O-W1"]),
    ],
)
def test_order_list_is_scoped(request, persona, expected, zhang, wu):
    make_order(wu, "30.00", "2026-09-01", external_id="O-W1")
    body = api_as(request.getfixturevalue(persona)).get("/orders").json()
    assert sorted(o["external_id"] for o in body["items"]) == expected
    assert body["count"] == len(expected)


def test_order_list_filters(admin_wang, zhang, wu, django_assert_num_queries):
    make_order(wu, "30.00", "2026-09-01", external_id="O-W1")
    api = api_as(admin_wang)

    def ids(**params):
        return [o["external_id"] for o in api.get("/orders", params).json()["items"]]

    assert ids(customer_external_id=zhang.external_id) == ["O-Z1", "O-Z2"]
    assert ids(since="2026-09-01") == ["O-Z1", "O-W1"]
    assert ids(since="2025-01-01", until="2026-09-01") == ["O-W1"]
    assert ids(customer_external_id="nobody") == []
    assert_error(api.get("/orders", {"since": "2026-02-30"}), 422, "since")
    with django_assert_num_queries(3):  # token + user, COUNT, one page with customers joined
        assert len(api.get("/orders").json()["items"]) == 3


def new_order(customer, **change) -> dict:
    """A valid POST /orders body for `customer`, with `change` applied."""
    payload = {
        "external_id": "O-NEW",
        "customer_external_id": customer.external_id,
        "ordered_at": "2026-11-01 10:00",
        "amount": "10",
    }
    return payload | change


def test_create_order_refreshes_summary(agent_li, zhang):
    payload = new_order(zhang, amount="88.80", product="保温杯")
    response = api_as(agent_li).post("/orders", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["external_id"], body["amount"]) == ("O-NEW", "88.80")
    assert body["customer_id"] == zhang.pk
    assert body["ordered_at"] == "2026-11-01T10:00:00+08:00"
    zhang.refresh_from_db()
    assert (zhang.order_count, zhang.lifetime_spend) == (3, Decimal("1089.30"))
    assert AuditLog.objects.filter(action="order.create", customer_id=zhang.pk).exists()


def test_duplicate_order_is_409(agent_li, zhang):
    payload = new_order(zhang, external_id="O-Z1", ordered_at="2026-11-01T10:00:00+08:00", amount=1)
    assert_error(api_as(agent_li).post("/orders", payload), 409, "external_id")
    assert Order.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"amount": "-1"}, 422, "amount"),
        ({"amount": "1.234"}, 422, "amount"),
        ({"amount": "abc"}, 422, "amount"),
        ({"ordered_at": "2099-01-01T00:00:00+08:00"}, 400, "ordered_at"),
        ({"ordered_at": "昨天"}, 422, "ordered_at"),
        ({"external_id": ""}, 422, "external_id"),
        ({"customer_external_id": "nobody"}, 404, "customer_external_id"),
    ],
)
def test_create_order_refusals(agent_li, zhang, change, status, field):
    assert_error(api_as(agent_li).post("/orders", new_order(zhang, **change)), status, field)
    assert not Order.objects.filter(external_id="O-NEW").exists()


def test_create_order_for_invisible_customer_is_404(agent_chen, zhang):
    response = api_as(agent_chen).post("/orders", new_order(zhang))
    assert_error(response, 404, "customer_external_id")
    assert Customer.objects.get(pk=zhang.pk).order_count == 2


# --- interactions (contacts) ----------------------------------------------------------------


def test_interactions_newest_first_paginated(agent_li, zhang, django_assert_num_queries):
    for day in range(1, 6):
        make_contact(zhang, "consult", f"2026-10-0{day}", text=f"第{day}次咨询", author=agent_li)
    api = api_as(agent_li)
    api.get("/me")
    # token + user, the customer, COUNT, one page with authors joined
    with django_assert_num_queries(4):
        body = api.get(f"/customers/{zhang.pk}/interactions", {"page": 1, "page_size": 2}).json()
    assert body["count"] == 5
    assert [i["text"] for i in body["items"]] == ["第5次咨询", "第4次咨询"]
    assert body["items"][0]["author"] == "li"


def test_create_interaction_is_audited(agent_li, zhang):
    payload = {
        "kind": "survey",
        "channel": "phone",
        "text": "对售后很满意",
        "nps": 9,
        "csat": 5,
        "occurred_at": "2026-11-20T15:30:00+08:00",
    }
    response = api_as(agent_li).post(f"/customers/{zhang.pk}/interactions", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["nps"], body["csat"], body["author"]) == ("survey", 9, 5, "li")
    interaction = Interaction.objects.get(pk=body["id"])
    assert interaction.customer_id == zhang.pk
    assert AuditLog.objects.filter(
        action="interaction.create", customer_id=zhang.pk, target_id=str(interaction.pk)
    ).exists()


def test_create_interaction_defaults_to_now(agent_li, zhang):
    response = api_as(agent_li).post(
        f"/customers/{zhang.pk}/interactions", {"kind": "note", "text": "客户要求周末回电"}
    )
    assert response.status_code == 201
    assert Interaction.objects.get().occurred_at is not None


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"nps": 11}, 400, "nps"),
        ({"nps": -1}, 400, "nps"),
        ({"csat": 0}, 400, "csat"),
        ({"csat": 6}, 400, "csat"),
        ({"nps": "很好"}, 422, "nps"),
        ({"kind": "gossip"}, 400, "kind"),
        ({"channel": "pigeon"}, 400, "channel"),
        ({"text": "", "nps": None}, 400, "text"),
        ({"text": "长" * 5001}, 400, "text"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, 400, "occurred_at"),
    ],
)
def test_create_interaction_refusals(agent_li, zhang, change, status, field):
    payload = {"kind": "survey", "channel": "sms", "text": "还行", "nps": 7} | change
    response = api_as(agent_li).post(f"/customers/{zhang.pk}/interactions", payload)
    assert_error(response, status, field)
    assert not Interaction.objects.exists()
    assert not AuditLog.objects.filter(action="interaction.create").exists()


# --- error shape, OpenAPI and docs --------------------------------------------------------


def test_unknown_path_and_wrong_method_answer_in_json(agent_li):
    api = api_as(agent_li)
    assert_error(api.get("/no-such-thing"), 404, None, "not_found")
    assert_error(ApiClient().get("/no-such-thing"), 404, None, "not_found")
    response = api.delete("/me")
    assert_error(response, 405, None, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_model_validation_errors_name_the_field(rf):
    from django.core.exceptions import ValidationError

    from careloop.api import on_model_validation_error

    exc = ValidationError({"email": ["请输入合法的邮件地址。"]})
    response = on_model_validation_error(rf.get("/api/v1/customers"), exc)
    assert response.status_code == 422
    assert json.loads(response.content)["field"] == "email"


def test_openapi_lists_the_endpoints():
    schema = ApiClient().get("/openapi.json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/me",
        "/api/v1/customers",
        "/api/v1/customers/lookup",
        "/api/v1/customers/{customer_id}",
        "/api/v1/customers/{customer_id}/orders",
        "/api/v1/customers/{customer_id}/interactions",
        "/api/v1/orders",
    } <= paths
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_page_works_offline():
    html = ApiClient().get("/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
