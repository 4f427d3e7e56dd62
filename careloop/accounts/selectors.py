"""Reads for accounts: tokens and audit entries the acting user may see."""

from django.db.models import QuerySet

from careloop.accounts.models import ApiToken, AuditLog, User


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def audit_for_customer(*, customer_id: int) -> QuerySet[AuditLog]:
    return AuditLog.objects.filter(customer_id=customer_id).select_related("actor")


def users_visible_to(user: User) -> QuerySet[User]:
    """Who the user may pick as an owner or filter by."""
    qs = User.objects.filter(is_active=True).order_by("username")
    if user.is_admin:
        return qs
    return qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
