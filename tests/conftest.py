import pytest

from tests import factories


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many accounts; the production hasher would spend seconds on each tree."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def refusals_written_through(settings):
    """The gate writes refusals in its own call (DAYPASS_REFUSALS_FLUSH_SECONDS = 0): a flusher
    thread's connection could not see a test's transaction. tests/billing/test_liveness.py
    writes them behind explicitly; no test's buffer outlives it."""
    from daypass.billing.refusals import refusals_discard

    settings.DAYPASS_REFUSALS_FLUSH_SECONDS = 0
    yield
    refusals_discard()


@pytest.fixture
def now():
    return factories.NOW


@pytest.fixture
def tree(db):
    """platform → distributor → dealer → fleet, plus a sibling distributor, each with accounts."""
    return factories.make_tree()
