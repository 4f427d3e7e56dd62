import pytest

from careloop.accounts.services import user_create
from careloop.callbacks.tests.factories import department, make_customer

PASSWORD = "careloop-test-pw"


@pytest.fixture
def tech_sun(db):
    """A member of 技术部 (no team): sees that department's tickets."""
    return user_create(username="sun", password=PASSWORD, role="agent", display_name="孙工程师")


@pytest.fixture
def tech(tech_sun):
    return department("技术部", members=[tech_sun])


@pytest.fixture
def zhang(team_east, agent_li):
    return make_customer("张伟", team=team_east, gender="M", phone="138 1234 5678", owner=agent_li)


@pytest.fixture
def wang_f(team_east):
    return make_customer("王芳", team=team_east, gender="F", phone="139 0000 1111")
