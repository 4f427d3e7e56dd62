"""API tokens: created on /accounts/tokens/, shown once, stored hashed; Bearer auth on /api/v1/."""

import hashlib

import pytest
from django.urls import reverse

from careloop.accounts.models import ApiToken, AuditLog
from careloop.accounts.services import api_token_create, api_token_revoke
from careloop.accounts.tests.apiclient import ApiClient, api_as

pytestmark = pytest.mark.django_db


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.json() == {
        "code": "unauthorized",
        "message": "缺少或无效的 API 令牌",
        "field": None,
    }


def test_missing_token_is_401_json():
    assert_unauthorized(ApiClient().get("/me"))


@pytest.mark.parametrize(
    "header", ["Bearer cl_not-a-real-token", "Bearer nonsense", "Token cl_x", "Bearer "]
)
def test_invalid_token_is_401_json(agent_li, header):
    api_token_create(user=agent_li, name="弹屏")
    assert_unauthorized(ApiClient(headers={"Authorization": header}).get("/me"))


def test_revoked_token_is_401(agent_li):
    token, key = api_token_create(user=agent_li, name="弹屏")
    assert api_as(agent_li, key=key).get("/me").status_code == 200
    api_token_revoke(user=agent_li, token_id=token.pk)
    assert_unauthorized(api_as(agent_li, key=key).get("/me"))


def test_inactive_user_token_is_401(agent_li):
    _, key = api_token_create(user=agent_li, name="弹屏")
    agent_li.is_active = False
    agent_li.save(update_fields=["is_active"])
    assert_unauthorized(api_as(agent_li, key=key).get("/me"))


def test_valid_token_works_and_sets_last_used(agent_li):
    token, key = api_token_create(user=agent_li, name="弹屏")
    assert token.last_used_at is None
    response = api_as(agent_li, key=key).get("/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": agent_li.pk,
        "username": "li",
        "display_name": "李客服",
        "role": "agent",
        "team": {"code": "east", "name": "华东一组", "region": "华东"},
        "may_see_phones": False,
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_me_for_admin_without_team(admin_wang):
    body = api_as(admin_wang).get("/me").json()
    assert (body["role"], body["team"], body["may_see_phones"]) == ("admin", None, True)


def test_token_page_shows_key_once_and_stores_only_its_hash(client, agent_li):
    client.force_login(agent_li)
    url = reverse("accounts:tokens")
    response = client.post(url, {"name": "呼叫中心弹屏"})
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("cl_") and len(key) > 40
    assert key in response.content.decode()

    token = ApiToken.objects.get(user=agent_li)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values_list().get(pk=token.pk)]
    stored += [str(d) for d in AuditLog.objects.values_list("detail", flat=True)]
    assert not any(key in value for value in stored)

    again = client.get(url)
    assert key not in again.content.decode()
    assert token.prefix in again.content.decode()  # listed by prefix only
    assert api_as(agent_li, key=key).get("/me").json()["username"] == "li"


def test_token_page_requires_a_name(client, agent_li):
    client.force_login(agent_li)
    response = client.post(reverse("accounts:tokens"), {"name": "  "})
    assert "请填写令牌名称" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_user_revokes_own_token_on_the_page(client, agent_li, agent_chen):
    token, key = api_token_create(user=agent_li, name="弹屏")
    client.force_login(agent_chen)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404  # not chen's token
    client.force_login(agent_li)
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert_unauthorized(api_as(agent_li, key=key).get("/me"))
