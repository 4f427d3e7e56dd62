from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"

    def ready(self) -> None:
        from careloop.accounts.models import AUDIT_ACTIONS
        from careloop.messaging.models import AUDIT_ACTIONS as OURS

        AUDIT_ACTIONS.update(OURS)
