"""Emotion on contacts: the fields a new interaction gets, and the set-based backfill.

Every door that writes a contact text classifies it: `interaction_create` and
`customer_note_add` (one text), the interactions import (one call per chunk of rows), and
`interactions_classify` for rows written before, or by bulk paths that bypass both (demo data).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.utils.translation import gettext as _

from careloop.accounts.services import audit_record
from careloop.core.errors import DomainError
from careloop.customers.models import Interaction
from careloop.emotion.classifier import EmotionResult, classify

log = logging.getLogger(__name__)

BACKFILL_BATCH = 2000
MAX_TEXTS = 200  # per API call
MAX_TEXT_CHARS = 5000


def emotion_classify(*, texts: Sequence[str]) -> list[EmotionResult]:
    """Classify texts sent by a client (API), refusing what no caller should send."""
    if not texts:
        raise DomainError(_("请提供至少一段文本"), field="texts")
    if len(texts) > MAX_TEXTS:
        raise DomainError(
            _("一次最多分析 %(max)s 段文本,收到 %(n)s 段") % {"max": MAX_TEXTS, "n": len(texts)},
            field="texts",
        )
    for index, text in enumerate(texts):
        if len(text) > MAX_TEXT_CHARS:
            raise DomainError(
                _("第 %(n)s 段文本超过 %(max)s 字") % {"n": index + 1, "max": MAX_TEXT_CHARS},
                field="texts",
            )
    return classify(texts)


def emotion_fields(result: EmotionResult) -> dict:
    """The Interaction fields of a result: emotion, high_risk, emotion_cues."""
    return {
        "emotion": result.emotion,
        "high_risk": result.high_risk,
        "emotion_cues": result.cues_text,
    }


def interaction_emotion(text: str) -> dict:
    """The emotion fields of one contact text (for a single write)."""
    return emotion_fields(classify([text or ""])[0])


def interactions_emotion(texts: Sequence[str]) -> list[tuple[str, bool, str]]:
    """(emotion, high_risk, emotion_cues) per text, in order: one classify call for a batch."""
    return [(r.emotion, r.high_risk, r.cues_text) for r in classify([t or "" for t in texts])]


def interactions_set_emotion(interactions: Sequence[Interaction]) -> None:
    """Set the emotion fields of unsaved contacts before a `bulk_create` (one classify call)."""
    found = interactions_emotion([i.text for i in interactions])
    for interaction, (emotion, high_risk, cues) in zip(interactions, found, strict=True):
        interaction.emotion, interaction.high_risk, interaction.emotion_cues = (
            emotion,
            high_risk,
            cues,
        )


def interactions_classify(
    *, since: datetime | None = None, batch: int = BACKFILL_BATCH, reclassify: bool = False
) -> int:
    """Classify stored contacts in batches by id; returns the number of rows changed.

    By default only rows never classified (`emotion = ''`); `reclassify` reads all of them again
    (after a lexicon change) and writes only those whose result changed. `since` limits to
    contacts on or after that moment. Each batch is one SELECT and one set-based UPDATE in its
    own transaction, so a long backfill neither holds locks nor starts over when interrupted.
    """
    rows = Interaction.objects.order_by("pk")
    if not reclassify:
        rows = rows.filter(emotion="")
    if since is not None:
        rows = rows.filter(occurred_at__gte=since)
    fields = ("pk", "text", "emotion", "high_risk", "emotion_cues")
    last, changed, high_risk = 0, 0, 0
    while True:
        chunk = list(rows.filter(pk__gt=last).values_list(*fields)[:batch])
        if not chunk:
            break
        last = chunk[-1][0]
        results = interactions_emotion([row[1] for row in chunk])
        updates = [
            (row[0], *new) for row, new in zip(chunk, results, strict=True) if tuple(row[2:]) != new
        ]
        with transaction.atomic():
            _update(updates)
        changed += len(updates)
        high_risk += sum(1 for row in updates if row[2])
    if changed:  # a supervisor can see why flags appeared or changed on many contacts at once
        audit_record(
            actor=None,
            action="emotion.backfill",
            target_type="interaction",
            detail={
                "changed": changed,
                "high_risk": high_risk,
                "since": since.isoformat() if since else None,
                "reclassify": reclassify,
            },
        )
    log.info("emotion.backfill", extra={"changed": changed, "reclassify": reclassify})
    return changed


def _update(rows: list[tuple[int, str, bool, str]]) -> None:
    """One UPDATE … FROM for (id, emotion, high_risk, emotion_cues) rows."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, emotions, risks, cues = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                "UPDATE customers_interaction AS i SET emotion = v.emotion, "
                "high_risk = v.high_risk, emotion_cues = v.cues "
                "FROM unnest(%s::bigint[], %s::text[], %s::boolean[], %s::text[]) "
                "AS v(id, emotion, high_risk, cues) WHERE i.id = v.id",
                [ids, emotions, risks, cues],
            )
        else:
            cursor.execute(
                "UPDATE customers_interaction AS i SET emotion = v.emotion, "
                "high_risk = v.high_risk, emotion_cues = v.cues "
                "FROM (SELECT json_extract(value, '$[0]') AS id, "
                "json_extract(value, '$[1]') AS emotion, json_extract(value, '$[2]') AS high_risk, "
                "json_extract(value, '$[3]') AS cues "
                "FROM json_each(%s)) AS v "
                "WHERE i.id = v.id",
                [json.dumps(rows, ensure_ascii=False)],
            )
