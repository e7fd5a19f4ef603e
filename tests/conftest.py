import pytest

from tests import factories


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many accounts; the production hasher would spend seconds on each tree."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def now():
    return factories.NOW


@pytest.fixture
def tree(db):
    """platform → distributor → dealer → fleet, plus a sibling distributor, each with accounts."""
    return factories.make_tree()
