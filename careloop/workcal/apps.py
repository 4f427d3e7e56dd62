from django.apps import AppConfig


class WorkcalConfig(AppConfig):
    name = "careloop.workcal"
    label = "workcal"

    def ready(self) -> None:
        from careloop.accounts.models import AUDIT_ACTIONS
        from careloop.workcal.models import AUDIT_ACTIONS as OURS

        AUDIT_ACTIONS.update(OURS)
