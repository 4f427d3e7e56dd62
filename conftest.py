"""Shared fixtures: named personas (admin_wang, supervisor_zhao, agent_li, agent_chen, …)."""

import pytest
from huey.contrib.djhuey import HUEY

from careloop.accounts.services import team_ensure, user_create

PASSWORD = "careloop-test-pw"


@pytest.fixture(autouse=True, scope="session")
def huey_immediate():
    """Jobs run inline in tests, against the test database."""
    HUEY.immediate = True
    yield


@pytest.fixture(autouse=True, scope="session")
def fast_password_hasher():
    """PBKDF2's million rounds cost ~0.3 s per persona; tests need no real hashing strength."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield


@pytest.fixture(autouse=True)
def back_to_chinese():
    """A request in English leaves English active in this thread (LocaleMiddleware does not
    reset it); every test starts in the default language, Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def team_east(db):
    return team_ensure(code="east", name="华东一组", region="华东")


@pytest.fixture
def team_south(db):
    return team_ensure(code="south", name="华南一组", region="华南")


@pytest.fixture
def admin_wang(db):
    return user_create(username="wang", password=PASSWORD, role="admin", display_name="王管理")


@pytest.fixture
def supervisor_zhao(team_east):
    return user_create(
        username="zhao", password=PASSWORD, role="supervisor", team=team_east, display_name="赵主管"
    )


@pytest.fixture
def agent_li(team_east):
    return user_create(
        username="li", password=PASSWORD, role="agent", team=team_east, display_name="李客服"
    )


@pytest.fixture
def agent_chen(team_south):
    return user_create(
        username="chen", password=PASSWORD, role="agent", team=team_south, display_name="陈客服"
    )


@pytest.fixture(autouse=True)
def clear_cache():
    """The cache outlives a test's database; start each test without stale entries."""
    from django.core.cache import cache

    cache.clear()
    yield
