import pytest


@pytest.fixture
def outbox(monkeypatch):
    """Messages the complaint services hand to messaging, as (purpose, channel, body)."""
    sent: list[tuple[str, str, str]] = []

    def fake(complaint, *, purpose, body, channel="sms", quiet=True):
        sent.append((purpose, channel, body))

    monkeypatch.setattr("careloop.complaints.services._send_message", fake)
    return sent
