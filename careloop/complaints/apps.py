from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "careloop.complaints"
    label = "complaints"

    def ready(self) -> None:
        from careloop.accounts.models import AUDIT_ACTIONS
        from careloop.complaints.models import AUDIT_ACTIONS as OURS

        AUDIT_ACTIONS.update(OURS)
