"""core.tenancy.owned_within: the subtree's rows, and only those, whichever form it takes."""

from django.db.models import Q

from daypass.core.tenancy import EVERY_ROW, owned_within
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

    assert owned_within(tree.platform, subtree=True) == EVERY_ROW
    assert owned_within(tree.platform, subtree=True, field="f", nullable=True) == Q(f__isnull=False)
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
    assert owned_within(other_root, subtree=True) != EVERY_ROW


def test_the_roots_transfers_in_and_out_and_with_a_counterpart(tree):
    """Transfers of the root's subtree: sent (from may be empty: an issue) or received; the
    whole-tree form must not drop the received side when OR-ed (an empty Q would)."""
    from daypass.core import clock
    from daypass.licenses.models import Transfer
    from daypass.licenses.selectors import transfer_list
    from tests.factories import make_account

    kind = make_license_type()
    issued = make_license(customer=tree.distributor, type=kind, card="ISSUED")
    moved = make_license(customer=tree.dealer, type=kind, card="MOVED")
    for license, sender in ((issued, None), (moved, tree.distributor)):
        Transfer.objects.create(
            license=license,
            type=kind,
            from_customer=sender,
            to_customer=license.customer,
            method="issue" if sender is None else "sell",
            batch="00000000-0000-0000-0000-00000000000" + ("1" if sender is None else "2"),
            at=clock.now(),
        )
    admin = make_account(tree.platform, "admin")

    def listed(**kwargs):
        return sorted(t.license.card for t in transfer_list(admin, None, subtree=True, **kwargs))

    assert listed() == ["ISSUED", "MOVED"]
    # between the subtree and the distributor: its sale to the dealer, not the platform's issue
    assert listed(counterpart=tree.distributor.number) == ["MOVED"]
