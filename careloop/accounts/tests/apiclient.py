"""A Django test client that calls /api/v1/ with a persona's personal API token."""

from django.test import Client

from careloop.accounts.services import api_token_create


class ApiClient(Client):
    """`api_as(agent_li).get("/customers")`; JSON bodies for post/patch by default."""

    prefix = "/api/v1"

    def get(self, path, data=None, **extra):
        return super().get(self.prefix + path, data, **extra)

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(self.prefix + path, data, content_type=content_type, **extra)

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(self.prefix + path, data, content_type=content_type, **extra)

    def delete(self, path, data="", **extra):
        return super().delete(self.prefix + path, data, **extra)


def api_as(user, *, key: str | None = None) -> ApiClient:
    if key is None:
        _, key = api_token_create(user=user, name="测试")
    return ApiClient(headers={"Authorization": f"Bearer {key}"})
