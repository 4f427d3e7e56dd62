"""Pages for the signed-in user: API tokens (shown once)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from careloop.accounts import selectors, services
from careloop.core.errors import DomainError, NotFound


@login_required
def tokens(request):
    new_key = error = None
    if request.method == "POST":
        try:
            _, new_key = services.api_token_create(
                user=request.user, name=request.POST.get("name", "")
            )
        except DomainError as exc:
            error = exc.message
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": selectors.api_tokens_of(user=request.user), "new_key": new_key, "error": error},
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
    except NotFound as exc:  # someone else's token, or already revoked
        raise Http404(exc.message) from exc
    return redirect("accounts:tokens")
