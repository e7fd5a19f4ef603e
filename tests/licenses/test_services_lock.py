import pytest

from daypass.core.errors import DaypassError
from daypass.core.models import AuditEvent
from daypass.licenses.models import License
from daypass.licenses.services import license_lock, license_unlock
from tests import factories


@pytest.mark.django_db
def test_lock_sets_the_flag_and_writes_an_audit_event(tree, license_type, now):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    result = license_lock(actor=tree.dealer_operator, license=license, now=now)

    assert result.locked is True
    assert License.objects.get(pk=license.pk).locked is True
    event = AuditEvent.objects.get(action="license.lock")
    assert (event.target, event.actor, event.acting_customer) == (
        license.card,
        tree.dealer_operator,
        tree.dealer,
    )
    assert event.at == now


@pytest.mark.django_db
def test_unlock_clears_the_flag(tree, license_type, now):
    license = factories.make_license(customer=tree.dealer, type=license_type, locked=True)

    license_unlock(actor=tree.dealer_admin, license=license, now=now)

    assert License.objects.get(pk=license.pk).locked is False
    assert AuditEvent.objects.filter(action="license.unlock", target=license.card).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"available_days": 0}, id="expired"),
        pytest.param({"activated_at": factories.NOW}, id="deactivated"),
        pytest.param({"bound": True}, id="inactive"),
        pytest.param({"bound": True, "activated_at": factories.NOW}, id="in_use"),
    ],
)
def test_lock_needs_an_unused_license(tree, license_type, dealer_device, now, unchanged, fields):
    fields = dict(fields)  # the parameter is shared between runs: never mutate it
    if fields.pop("bound", False):
        fields.update(device=dealer_device, bound_at=now)
    license = factories.make_license(customer=tree.dealer, type=license_type, **fields)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_lock(actor=tree.dealer_admin, license=license, now=now)

    assert error.value.code == "license_not_unused"


@pytest.mark.django_db
def test_locking_a_locked_license_says_it_is_locked(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.dealer, type=license_type, locked=True)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_lock(actor=tree.dealer_admin, license=license, now=now)

    assert error.value.code == "license_locked"


@pytest.mark.django_db
def test_unlock_needs_a_locked_license(tree, license_type, now, unchanged):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_unlock(actor=tree.dealer_admin, license=license, now=now)

    assert error.value.code == "license_not_locked"


@pytest.mark.django_db
def test_lock_rechecks_the_stored_row_not_the_callers_stale_copy(
    tree, license_type, dealer_device, now, unchanged
):
    license = factories.make_license(customer=tree.dealer, type=license_type)
    stale = License.objects.get(pk=license.pk)
    License.objects.filter(pk=license.pk).update(device=dealer_device, bound_at=now)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_lock(actor=tree.dealer_admin, license=stale, now=now)

    assert error.value.code == "license_not_unused"


@pytest.mark.django_db
def test_the_audit_event_names_the_address_the_request_came_from(tree, license_type, now):
    from daypass.core.request_context import client_ip

    license = factories.make_license(customer=tree.dealer, type=license_type)
    token = client_ip.set("203.0.113.7")
    try:
        license_lock(actor=tree.dealer_admin, license=license, now=now)
    finally:
        client_ip.reset(token)

    assert AuditEvent.objects.get(action="license.lock").ip_address == "203.0.113.7"
