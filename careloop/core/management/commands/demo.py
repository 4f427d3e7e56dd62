"""`careloop demo`: generate realistic Chinese demo data and print the demo logins."""

import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careloop.core import clock
from careloop.core.errors import DomainError
from careloop.customers.models import Customer
from careloop.demo.generator import demo_generate, demo_logins, demo_reset
from careloop.demo.text import activity_line, logins_table


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("日期格式应为 YYYY-MM-DD：%s") % value) from exc


class Command(BaseCommand):
    help = (
        "生成演示数据（客户、订单、投诉、接触记录）和演示账号，"
        "并回放最近两周的关怀计划、回访、工单、投诉处理和消息"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=3000, help=_("客户数量（默认 3000）"))
        parser.add_argument("--seed", type=int, default=42, help=_("随机种子（同一种子数据相同）"))
        parser.add_argument(
            "--as-of", type=parse_date, default=None, help=_("数据截至日期 YYYY-MM-DD")
        )
        parser.add_argument(
            "--if-empty", action="store_true", help=_("已有客户时不生成，只打印账号")
        )
        parser.add_argument("--reset", action="store_true", help=_("先删除已有的演示客户"))

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write(_("已有客户数据，跳过生成演示数据。"))
        else:
            if options["reset"]:
                deleted = demo_reset()
                self.stdout.write(_("已删除 %(n)d 个演示客户。") % {"n": deleted})
            as_of = options["as_of"] or clock.today()
            try:
                summary = demo_generate(
                    customers=options["customers"], seed=options["seed"], as_of=as_of
                )
            except DomainError as exc:
                raise CommandError(exc.message) from exc
            self.stdout.write(
                _(
                    "已生成演示数据（种子 %(seed)d，截至 %(as_of)s）：客户 %(customers)d"
                    "（企业 %(business)d）、订单 %(orders)d、投诉 %(complaints)d、"
                    "接触记录 %(interactions)d，用时 %(seconds).1f 秒。"
                )
                % {
                    "seed": summary.seed,
                    "as_of": summary.as_of.isoformat(),
                    "customers": summary.customers,
                    "business": summary.business,
                    "orders": summary.orders,
                    "complaints": summary.complaints,
                    "interactions": summary.interactions,
                    "seconds": summary.seconds,
                }
            )
            if summary.activity is not None:
                self.stdout.write(activity_line(summary.activity))
        self.stdout.write(logins_table(demo_logins()))
