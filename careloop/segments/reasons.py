"""Health reasons (健康度原因): stored on the customer as codes with their numbers, e.g.
``[{"code": "recency", "days": 75}, {"code": "spend_drop", "pct": 62}]``, and put into words
at display time through gettext, so the 360 page reads them in the user's language:
"最近一次下单 75 天前;近90天消费较前90天下降 62%" / "Last order 75 days ago; …".

Reasons stored before the codes (plain Chinese strings) are shown as they are until the next
segmentation rewrites them."""

from __future__ import annotations

from django.utils.translation import get_language, gettext, gettext_noop

# code -> (msgid with {n} for the number, the key of the number in the stored reason)
HEALTH_REASONS: dict[str, tuple[str, str | None]] = {
    "complaints": (gettext_noop("有 {n} 个未结投诉"), "n"),
    "recency": (gettext_noop("最近一次下单 {n} 天前"), "days"),
    "spend_drop": (gettext_noop("近90天消费较前90天下降 {n}%"), "pct"),
    "unhappy": (gettext_noop("近期有不满意评价"), None),
    "no_contact": (gettext_noop("近{n}天无接触记录"), "days"),
    "no_orders": (gettext_noop("尚未下单"), None),
}


def health_reason_text(reason: dict | str) -> str:
    """One stored reason in words, in the active language."""
    if isinstance(reason, str):  # stored as Chinese text before the codes
        return reason
    code = reason.get("code", "") if isinstance(reason, dict) else ""
    if code not in HEALTH_REASONS:
        return str(code)
    msgid, key = HEALTH_REASONS[code]
    text = gettext(msgid)
    return text.replace("{n}", str(reason.get(key, ""))) if key else text


def health_reasons_text(reasons: list | None) -> str:
    """Every reason in words, joined the way the language lists them ("；" in Chinese)."""
    separator = "；" if (get_language() or "zh").startswith("zh") else "; "
    return separator.join(health_reason_text(r) for r in reasons or [])
