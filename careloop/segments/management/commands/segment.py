"""`careloop segment [--as-of YYYY-MM-DD] [--json] [--customers]`: segment every customer as of
a date (default today in Asia/Shanghai), store the result and print counts (DESIGN.md §5).

With --json stdout carries exactly one JSON document; --customers adds one row per customer,
streamed from the database in chunks (never a list of every customer in memory)."""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from careloop.core import clock
from careloop.customers.models import Customer
from careloop.segments.services import segment_customers

ROW_FIELDS = (
    "external_id",
    "lifecycle",
    "tier",
    "value_class",
    "r_score",
    "f_score",
    "m_score",
    "churn_risk",
    "health",
)


class Command(BaseCommand):
    help = "客户分群:计算 RFM、生命周期、价值等级、价值类别、流失风险和健康度"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="截至日期 YYYY-MM-DD(默认今天)")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")
        parser.add_argument("--customers", action="store_true", help="JSON 中附每位客户的结果")

    def handle(self, *args, **opts):
        as_of = clock.today()
        if opts["as_of"]:
            try:
                as_of = date.fromisoformat(opts["as_of"])
            except ValueError:
                message = _("日期格式应为 YYYY-MM-DD:%(value)s") % {"value": opts["as_of"]}
                if opts["json"]:
                    body = {"ok": False, "code": "invalid_date", "message": message}
                    self.stdout.write(json.dumps(body, ensure_ascii=False))
                else:
                    self.stderr.write(message)
                sys.exit(2)
        result = segment_customers(as_of=as_of)
        if opts["json"]:
            self._json(result.to_dict(), with_customers=opts["customers"])
        else:
            self._summary(result)

    def _json(self, body: dict, *, with_customers: bool) -> None:
        out = self.stdout
        if not with_customers:
            out.write(json.dumps(body, ensure_ascii=False))
            return
        # Stream: the counts, then one customer per line, as one valid JSON document.
        head = json.dumps(body, ensure_ascii=False)[:-1]
        out.write(head + ', "customers": [', ending="")
        rows = Customer.objects.order_by("id").values_list(*ROW_FIELDS).iterator(chunk_size=5000)
        for i, row in enumerate(rows):
            item = dict(zip(ROW_FIELDS, row, strict=True))
            item["tier"] = item["tier"] or None
            item["value_class"] = item["value_class"] or None
            out.write(("\n" if i == 0 else ",\n") + json.dumps(item, ensure_ascii=False), ending="")
        out.write("\n]}")

    def _summary(self, result) -> None:
        labels = dict(Customer.Lifecycle.choices)
        classes = dict(Customer.ValueClass.choices)
        self.stdout.write(
            _("分群完成(截至 %(as_of)s):共 %(n)s 位客户,用时 %(s)s 秒")
            % {"as_of": result.as_of, "n": result.customers, "s": result.seconds}
        )
        parts = [f"{labels[k]} {v}" for k, v in result.lifecycle.items()]
        self.stdout.write(_("生命周期:") + "、".join(parts))
        tiers = [f"{k or _('无')} {v}" for k, v in result.tier.items()]
        self.stdout.write(_("价值等级:") + "、".join(tiers))
        kinds = [f"{classes.get(k, _('无'))} {v}" for k, v in result.value_class.items() if k]
        self.stdout.write(_("价值类别:") + "、".join(kinds))
        if result.churn_model == "gamma_gamma_fallback":
            self.stdout.write(
                _("预计消费按客户自身平均客单价估算:消费金额模型(Gamma-Gamma)无法拟合")
            )
        elif result.churn_model == "too_few_repeat_customers":
            self.stdout.write(_("流失风险未计算:复购客户太少,无法估计"))
        elif result.churn_model:
            self.stdout.write(_("流失风险未计算:流失模型拟合失败"))
