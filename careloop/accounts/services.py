"""Writes for users, teams, API tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import ApiToken, AuditLog, Team, User
from careloop.core.errors import DomainError, NotFound

TOKEN_PREFIX = "cl_"


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model | None = None,
    customer_id: int | None = None,
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one audit entry; callers run it inside their own transaction."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or str(target.pk)
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        customer_id=customer_id,
        detail=detail or {},
    )


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写令牌名称"), field="name")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:64], prefix=key[:10], key_hash=_hash(key))
    audit_record(actor=user, action="api_token.create", target=token, detail={"name": name})
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(_("令牌不存在或已撤销"))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=user, action="api_token.revoke", target=token)
    return token


def api_token_authenticate(key: str) -> User | None:
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user__team")
        .filter(key_hash=_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def team_ensure(*, code: str, name: str, region: str = "") -> Team:
    team, _ = Team.objects.get_or_create(code=code, defaults={"name": name, "region": region})
    return team


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    if role not in User.Role.values:
        raise DomainError(_("未知角色:%(value)s") % {"value": role}, field="role")
    if User.objects.filter(username=username).exists():
        raise DomainError(_("用户名 %(value)s 已存在") % {"value": username}, field="username")
    user = User(
        username=username,
        role=role,
        team=team,
        display_name=display_name,
        email=email,
        is_staff=role == User.Role.ADMIN,
        is_superuser=role == User.Role.ADMIN,
    )
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user
