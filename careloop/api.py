"""The HTTP API under /api/v1/: token auth, one error shape, each app adds its router."""

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from careloop.accounts.services import api_token_authenticate
from careloop.core.errors import DomainError


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; tokens are created per user in the UI."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="CareLoop API",
    version="1",
    description="CareLoop 客户关怀与回访系统 HTTP API。认证:`Authorization: Bearer <令牌>`。",
    auth=TokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    body = {"code": exc.code, "message": exc.message, "field": exc.field}
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query")]
        errors.append({"field": ".".join(loc), "message": err.get("msg", "")})
    first = errors[0] if errors else {"field": None, "message": ""}
    body = {
        "code": "validation_error",
        "message": f"字段 {first['field']} 无效:{first['message']}",
        "field": first["field"],
        "errors": errors,
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    body = {"code": "unauthorized", "message": "缺少或无效的 API 令牌", "field": None}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    body = {"code": "http_error", "message": str(exc), "field": None}
    return api.create_response(request, body, status=exc.status_code)
