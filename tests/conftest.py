import pytest

from tests import factories


@pytest.fixture
def now():
    return factories.NOW


@pytest.fixture
def tree(db):
    """platform → distributor → dealer → fleet, plus a sibling distributor, each with accounts."""
    return factories.make_tree()
