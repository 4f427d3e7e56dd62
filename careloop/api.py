"""The HTTP API under /api/v1/: token auth, one error shape, each app adds its router."""

from functools import wraps

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
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


def _error(code: str, message: str, status: int, field: str | None = None) -> JsonResponse:
    body = {"code": code, "message": message, "field": field}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _json_not_allowed(view):
    """Ninja answers a wrong method with a plain-text 405; give it the API's error shape."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allowed = response.get("Allow", "")
            response = _error(
                "method_not_allowed",
                _("不支持的请求方法:%(method)s") % {"method": request.method},
                405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _not_found(request, *args, **kwargs):
    return _error("not_found", _("接口不存在:%(path)s") % {"path": request.path}, 404)


class CareLoopAPI(NinjaAPI):
    """NinjaAPI whose unknown paths and wrong methods answer in the API's JSON error shape."""

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_not_allowed(pattern.callback)
        patterns.append(re_path(r"", _not_found))  # last: anything else under /api/v1/
        return patterns


api = CareLoopAPI(
    title="CareLoop API",
    version="1",
    description="CareLoop 客户关怀与回访系统 HTTP API。认证:`Authorization: Bearer <令牌>`。",
    auth=TokenAuth(),
    urls_namespace="api",
)


def reply(request, code: str, message: str, status: int, field: str | None = None, **extra):
    """The one error shape: {code, message, field} (plus `errors` for validation)."""
    body = {"code": code, "message": message, "field": field, **extra}
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request, exc: DomainError):
    return reply(request, exc.code, exc.message, exc.status, exc.field)


PARAM_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def _field(loc) -> str:
    """('body', 'payload', 'phone') -> 'phone'; ('query', 'limit') -> 'limit'."""
    loc = [str(part) for part in loc]
    if len(loc) > 1 and loc[0] in PARAM_SOURCES:
        loc = loc[1:]
    if len(loc) > 1 and loc[0] == "payload":
        loc = loc[1:]
    return ".".join(loc)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = [{"field": _field(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors]
    first = errors[0] if errors else {"field": None, "message": ""}
    message = _("字段 %(field)s 无效:%(message)s") % first
    return reply(request, "validation_error", message, 422, first["field"], errors=errors)


@api.exception_handler(DjangoValidationError)
def on_model_validation_error(request, exc: DjangoValidationError):
    """A model's full_clean() refused a value: name the first field it named."""
    errors = getattr(exc, "error_dict", None) or {None: exc.error_list}
    field, messages = next(iter(errors.items()))
    message = " ".join(m for error in messages for m in error.messages)
    field = None if field == "__all__" else field
    message = message if field is None else f"{field}: {message}"
    return reply(request, "validation_error", message, 422, field)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return reply(request, "unauthorized", _("缺少或无效的 API 令牌"), 401)


@api.exception_handler(DjangoPermissionDenied)
def on_permission_denied(request, exc):
    return reply(request, "permission_denied", _("无权执行此操作"), 403)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return reply(request, "not_found", _("资源不存在"), 404)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return reply(request, "http_error", str(exc), exc.status_code)


# Each app's router; later apps add one line here.
from careloop.accounts.api import router as accounts_router  # noqa: E402
from careloop.callbacks.api import router as callbacks_router  # noqa: E402
from careloop.care.api import router as care_router  # noqa: E402
from careloop.complaints.api import router as complaints_router  # noqa: E402
from careloop.customers.api import orders_router  # noqa: E402
from careloop.customers.api import router as customers_router  # noqa: E402
from careloop.emotion.api import router as emotion_router  # noqa: E402
from careloop.imports.api import router as imports_router  # noqa: E402
from careloop.messaging.api import router as messaging_router  # noqa: E402
from careloop.segments.api import router as segments_router  # noqa: E402
from careloop.workcal.api import router as workcal_router  # noqa: E402

api.add_router("", accounts_router)
api.add_router("", customers_router)
api.add_router("", orders_router)
api.add_router("", imports_router)
api.add_router("", segments_router)
api.add_router("", care_router)
api.add_router("", complaints_router)
api.add_router("", emotion_router)
api.add_router("", messaging_router)
api.add_router("", workcal_router)
api.add_router("", callbacks_router)
