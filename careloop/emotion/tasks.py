"""Background jobs of the emotion analysis (Huey)."""

from datetime import datetime

from huey.contrib.djhuey import db_task

from careloop.emotion.services import interactions_classify


@db_task()
def interactions_classify_job(since: str | None = None, reclassify: bool = False) -> int:
    """Backfill: classify stored contacts (on or after `since`, an ISO moment); safe to rerun."""
    moment = datetime.fromisoformat(since) if since else None
    return interactions_classify(since=moment, reclassify=reclassify)
