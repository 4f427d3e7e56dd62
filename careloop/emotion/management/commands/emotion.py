"""`careloop emotion TEXT... [--json]`: the emotion of each text (DESIGN.md §5).

With --json stdout carries exactly one JSON list, one object per text in order (`text`,
`emotion`, `polarity`, `intensity`, `high_risk`, `cues`); without it a table. `-` reads one text
per line from standard input. `careloop emotion --backfill [--since YYYY-MM-DD] [--reclassify]`
classifies stored contacts that have no emotion yet (or all of them again).
"""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from careloop.core import clock
from careloop.emotion.classifier import EMOTION_LABELS, POLARITY_LABELS, classify
from careloop.emotion.services import interactions_classify


class Command(BaseCommand):
    help = "情绪分析:判断文本的情绪、极性、强度和是否高风险"

    def add_arguments(self, parser):
        parser.add_argument(
            "texts", nargs="*", metavar="TEXT", help="要分析的文本;- 从标准输入逐行读取"
        )
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 列表")
        parser.add_argument(
            "--backfill", action="store_true", help="为已有的接触记录补充情绪分析结果"
        )
        parser.add_argument(
            "--since", help="与 --backfill 一起:只处理该日期(YYYY-MM-DD)及以后的记录"
        )
        parser.add_argument(
            "--reclassify", action="store_true", help="与 --backfill 一起:已分析过的记录也重新分析"
        )

    def handle(self, *args, **opts):
        if opts["backfill"]:
            return self.backfill(opts)
        texts = opts["texts"]
        if texts == ["-"]:
            texts = [line.rstrip("\n") for line in sys.stdin]
        if not texts:
            raise CommandError(_("请提供至少一段文本,例如:careloop emotion 再不处理我就去12315"))
        results = classify(texts)
        if opts["json"]:
            body = [r.as_dict() for r in results]
            self.stdout.write(json.dumps(body, ensure_ascii=False))
            return
        head = [_("情绪"), _("极性"), _("强度"), _("高风险"), _("线索"), _("文本")]
        self.stdout.write("\t".join(head))
        for r in results:
            risk = _("高风险") if r.high_risk else "—"
            self.stdout.write(
                f"{EMOTION_LABELS[r.emotion]}\t{POLARITY_LABELS[r.polarity]}\t"
                f"{r.intensity:.2f}\t{risk}\t{'、'.join(r.cues) or '—'}\t{r.text}"
            )

    def backfill(self, opts):
        since = None
        if opts["since"]:
            try:
                since = clock.day_start(date.fromisoformat(opts["since"]))
            except ValueError as exc:
                raise CommandError(
                    _("--since 应为 YYYY-MM-DD:%(value)s") % {"value": opts["since"]}
                ) from exc
        changed = interactions_classify(since=since, reclassify=opts["reclassify"])
        if opts["json"]:
            self.stdout.write(json.dumps({"changed": changed}))
        else:
            self.stdout.write(_("已分析接触记录 %(n)s 条") % {"n": changed})
