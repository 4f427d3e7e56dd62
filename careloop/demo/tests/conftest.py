import pytest


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The demo creates four users; hashing their passwords slowly adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
