"""Console output for the demo: the logins table, aligned for Chinese (double-width) text."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.utils.translation import gettext as _


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def logins_table(logins: Sequence) -> str:
    """演示账号 as a small table: 角色 用户名 密码 团队."""
    if not logins:
        return _("没有演示账号；运行 careloop demo 创建。")
    rows = [(_("角色"), _("用户名"), _("密码"), _("团队"))]
    rows += [(login.role, login.username, login.password, login.team) for login in logins]
    widths = [max(display_width(row[i]) for row in rows) + 2 for i in range(4)]
    lines = [_("演示账号：")]
    lines += [
        "  " + "".join(pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def logins_line(logins: Sequence) -> str:
    """One line for `careloop serve`: 演示账号：admin、supervisor … 密码 careloop123."""
    passwords = {login.password for login in logins}
    names = "、".join(login.username for login in logins)
    return _("演示账号：%(names)s（密码 %(password)s）") % {
        "names": names,
        "password": "/".join(sorted(passwords)),
    }


def activity_line(activity) -> str:
    """What the replayed work left, in one paragraph: tasks for today, records, tickets, leads,
    suggestions, complaints by stage, messages."""
    from careloop.complaints.models import Complaint

    stages = [s for s in Complaint.Stage.values if activity.complaints_by_stage.get(s)]
    by_stage = "、".join(
        f"{Complaint.Stage(s).label} {activity.complaints_by_stage[s]}" for s in stages
    )
    return _(
        "已回放 %(days)d 天的关怀计划：今日待回访任务 %(today)d（未完成共 %(open)d）、"
        "回访记录 %(records)d、跟进工单 %(tickets)d、销售线索 %(leads)d、客户建议 %(suggestions)d、"
        "质检 %(reviews)d；投诉（按阶段）%(stages)s；消息已发送 %(sent)d、待发送 %(scheduled)d，"
        "退订 %(opt_outs)d；保存的分群 %(segments)d 个。"
    ) % {
        "days": activity.plan_days,
        "today": activity.tasks_today,
        "open": activity.tasks_open,
        "records": activity.records,
        "tickets": activity.tickets,
        "leads": activity.leads,
        "suggestions": activity.suggestions,
        "reviews": activity.reviews,
        "stages": by_stage or "—",
        "sent": activity.messages_sent,
        "scheduled": activity.messages_scheduled,
        "opt_outs": activity.opt_outs,
        "segments": activity.saved_segments,
    }
