"""core.tenancy.owned_within: the subtree's rows, and only those, whichever form it takes."""

from django.db.models import Q

from daypass.core.tenancy import owned_within
from daypass.licenses.models import License
from tests.factories import make_customer, make_license, make_license_type


def cards(customer, **kwargs):
    return sorted(
        License.objects.filter(owned_within(customer, **kwargs)).values_list("card", flat=True)
    )


def test_the_root_of_the_only_tree_needs_no_list_of_ids(tree):
    kind = make_license_type()
    for i, owner in enumerate([tree.platform, tree.dealer, tree.fleet, tree.sibling]):
        make_license(customer=owner, type=kind, card=f"C{i}")

    assert owned_within(tree.platform, subtree=True) == Q(customer__isnull=False)
    assert cards(tree.platform, subtree=True) == ["C0", "C1", "C2", "C3"]
    assert cards(tree.distributor, subtree=True) == ["C1", "C2"]
    assert cards(tree.platform, subtree=False) == ["C0"]


def test_a_root_beside_another_tree_sees_only_its_own(tree):
    other_root = make_customer(name="Another platform")
    other_child = make_customer(parent=other_root, name="Its dealer")
    kind = make_license_type()
    make_license(customer=tree.dealer, type=kind, card="MINE")
    make_license(customer=other_child, type=kind, card="THEIRS")

    assert cards(tree.platform, subtree=True) == ["MINE"]
    assert cards(other_root, subtree=True) == ["THEIRS"]
    assert owned_within(other_root, subtree=True) != Q(customer__isnull=False)
