"""Settings of the agent workspace, with defaults when settings.py does not name them."""

import os

from django.conf import settings


def max_attempts() -> int:
    """Unreached: how many attempts before the task closes as unreached (default 3)."""
    value = getattr(settings, "CARELOOP_CALLBACK_MAX_ATTEMPTS", None)
    if value is None:
        value = os.environ.get("CARELOOP_CALLBACK_MAX_ATTEMPTS", "3")
    return max(1, int(value))
