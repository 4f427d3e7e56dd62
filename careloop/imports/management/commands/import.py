"""`careloop import {customers|orders|complaints|interactions} FILE [--dry-run] [--skip-invalid]
[--json]`: exit 0 when imported, 1 when the file had errors and nothing was written, 2 for a bad
argument or a missing file. With --json, stdout carries exactly one JSON document."""

import json
import sys
from pathlib import Path

from django.core import checks
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from careloop.core.errors import DomainError
from careloop.imports.columns import KINDS
from careloop.imports.services import import_audit, import_file


class Command(BaseCommand):
    help = "导入客户、订单、投诉或接触记录(CSV 或 XLSX)"
    # The model and database checks only: the full set (URLs, templates, admin, …) imports
    # every view module and costs ~1 s of start-up that an import never uses.
    requires_system_checks = [checks.Tags.models, checks.Tags.database]

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="试运行:校验并统计,不写入")
        parser.add_argument("--skip-invalid", action="store_true", help="跳过错误行,写入其余有效行")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            self._fail(opts, "file_not_found", _("找不到文件:%(path)s") % {"path": path}, 2)
        try:
            result = import_file(
                kind=opts["kind"],
                path=path,
                actor=None,
                dry_run=opts["dry_run"],
                skip_invalid=opts["skip_invalid"],
            )
        except DomainError as exc:
            self._fail(opts, exc.code, exc.message, 1)
        import_audit(actor=None, result=result)
        if opts["json"]:
            self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False))
        else:
            self._summary(result)
        if result.failed:
            sys.exit(1)

    def _fail(self, opts, code: str, message: str, status: int):
        if opts["json"]:
            body = {"ok": False, "code": code, "message": message}
            self.stdout.write(json.dumps(body, ensure_ascii=False))
        else:
            self.stderr.write(message)
        sys.exit(status)

    def _summary(self, result) -> None:
        head = _("试运行(未写入)") if result.dry_run else _("导入完成")
        if result.failed and not result.dry_run:
            head = _("有 %(n)s 个错误,未写入任何数据") % {"n": result.error_count}
        self.stdout.write(f"{head}:{result.file}")
        self.stdout.write(
            _(
                "共 %(total)s 行:新增 %(created)s,更新 %(updated)s,未变化 %(unchanged)s,"
                "跳过 %(skipped)s,错误 %(errors)s"
            )
            % {
                "total": result.total,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "skipped": result.skipped,
                "errors": result.error_count,
            }
        )
        for warning in result.warnings:
            self.stdout.write(_("提示:") + warning)
        for error in result.errors:
            self.stdout.write(error.message)
        if result.error_count > len(result.errors):
            more = result.error_count - len(result.errors)
            self.stdout.write(_("……另有 %(n)s 个错误未列出") % {"n": more})
