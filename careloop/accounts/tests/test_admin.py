"""Admins manage users and teams; agents and supervisors are kept out of the admin."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_lists_users_with_roles(client, admin_wang, agent_li):
    client.force_login(admin_wang)
    page = client.get("/admin/accounts/user/").content.decode()
    assert "li" in page and "华东一组" in page


def test_agent_and_supervisor_cannot_open_admin(client, agent_li, supervisor_zhao):
    for user in (agent_li, supervisor_zhao):
        client.force_login(user)
        response = client.get("/admin/accounts/user/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_audit_log_is_read_only(client, admin_wang):
    client.force_login(admin_wang)
    assert client.get("/admin/accounts/auditlog/add/").status_code == 403
