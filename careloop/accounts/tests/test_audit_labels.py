"""Every action the code writes to the audit log has a label a supervisor can read."""

import re
from pathlib import Path

from django.conf import settings

from careloop.accounts.models import AUDIT_ACTIONS

# audit_record(..., action="x.y", ...), the complaints' _audit(user, "x.y", ...), and bulk
# writers that pass action="x.y" on to AuditLog(...).
WRITES = re.compile(
    r'(?:audit_record\([^()]*?action="([a-z_]+\.[a-z_]+)"'
    r'|_audits?\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"'
    r'|_task_audits\([^()]*?action="([a-z_]+\.[a-z_]+)"'
    r'|action="([a-z_]+\.[a-z_]+)" if )',
    re.S,
)


def written_actions() -> set[str]:
    found = set()
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for match in WRITES.finditer(path.read_text(encoding="utf-8")):
            found.add(next(g for g in match.groups() if g))
    return found


def test_every_audited_action_has_a_label():
    actions = written_actions()
    assert len(actions) > 40  # the scan still finds the writes
    assert sorted(a for a in actions if a not in AUDIT_ACTIONS) == []
