from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "careloop.segments"
    label = "segments"

    def ready(self) -> None:
        # The audit log's Chinese labels for saved-segment changes (保存分群, 修改分群, 删除分群).
        from careloop.accounts.models import AUDIT_ACTIONS
        from careloop.segments.services import SAVED_SEGMENT_AUDIT

        AUDIT_ACTIONS.update(SAVED_SEGMENT_AUDIT)
