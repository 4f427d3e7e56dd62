from careloop.complaints.tests.conftest import outbox  # noqa: F401 (complaints send messages)
