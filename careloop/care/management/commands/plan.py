"""`careloop plan [--as-of YYYY-MM-DD] [--dry-run] [--json]`: evaluate every enabled care rule
for a date (default today in Asia/Shanghai), create the callback tasks and scheduled messages,
and report what was created and what was suppressed, with the reason (DESIGN.md §5).

With --json stdout carries exactly one JSON document; --dry-run writes nothing."""

import json
from argparse import ArgumentTypeError
from datetime import date

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from careloop.care import purposes as registry
from careloop.care.models import PlanSuppression
from careloop.care.planner import plan_day
from careloop.core import clock


def _iso_date(text: str) -> date:
    """argparse type: a bad date exits with status 2 and names --as-of (stdout stays empty)."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ArgumentTypeError(_("日期格式应为 YYYY-MM-DD:%(value)s") % {"value": text}) from exc


class Command(BaseCommand):
    help = "关怀计划:按启用的关怀规则为某天生成回访任务和消息"

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of", dest="as_of", type=_iso_date, help="计划日期 YYYY-MM-DD(默认今天)"
        )
        parser.add_argument("--dry-run", action="store_true", help="试运行:显示结果,不写入")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, **opts):
        as_of = opts["as_of"] or clock.today()
        # The summary needs only the counts: without --json no entry is kept in memory.
        result = plan_day(
            as_of=as_of, dry_run=opts["dry_run"], trigger="manual", collect=opts["json"]
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result.to_json(), ensure_ascii=False))
            return
        self._summary(result)

    def _summary(self, result) -> None:
        counts = result.counts()
        head = _("试运行(未写入)") if result.dry_run else _("已写入")
        self.stdout.write(
            _(
                "关怀计划 %(as_of)s %(head)s:创建任务 %(created)s 个,抑制 %(suppressed)s 个,"
                "消息 %(messages)s 条,用时 %(s)s 秒"
            )
            % {"as_of": result.as_of, "head": head, "s": result.seconds, **counts}
        )
        for purpose in registry.all_purposes():
            n = counts["by_purpose"].get(purpose.key)
            if n:
                self.stdout.write(
                    _("  %(label)s:创建 %(created)s,抑制 %(suppressed)s")
                    % {"label": purpose.label, **n}
                )
        labels = dict(PlanSuppression.Reason.choices)
        for code, n in sorted(counts["by_reason"].items()):
            self.stdout.write(
                _("  抑制原因 %(label)s:%(n)s") % {"label": labels.get(code, code), "n": n}
            )
