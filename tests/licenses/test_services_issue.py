import pytest

from daypass.core.errors import DaypassError, Forbidden, NotFound, ValidationFailed
from daypass.core.models import AuditEvent
from daypass.devices.models import Device
from daypass.licenses.models import License, LicenseType, TopUp, Transfer
from daypass.licenses.services import license_top_up, license_type_create, licenses_issue
from tests import factories


@pytest.mark.django_db
def test_issue_creates_unique_cards_for_the_platform(tree, license_type, now):
    licenses = licenses_issue(
        actor=tree.platform_admin, license_type=license_type, quantity=3, now=now
    )

    stored = list(License.objects.order_by("card"))
    assert [lic.card for lic in stored] == [lic.card for lic in licenses]
    assert len({lic.card for lic in stored}) == 3
    assert all(
        (lic.customer, lic.type, lic.total_days, lic.available_days, lic.issued_days)
        == (tree.platform, license_type, 365, 365, 365)
        for lic in stored
    )
    assert Transfer.objects.count() == 0
    event = AuditEvent.objects.get(action="license.issue")
    assert event.details["quantity"] == 3


@pytest.mark.django_db
def test_issue_continues_the_card_sequence(tree, license_type, now):
    first = licenses_issue(
        actor=tree.platform_admin, license_type=license_type, quantity=2, now=now
    )
    second = licenses_issue(
        actor=tree.platform_admin, license_type=license_type, quantity=2, now=now
    )

    cards = [lic.card for lic in first + second]
    assert cards == sorted(cards)
    assert len(set(cards)) == 4


@pytest.mark.django_db
def test_issue_to_a_named_customer_is_recorded_as_a_sale_from_the_platform(tree, license_type, now):
    licenses = licenses_issue(
        actor=tree.platform_admin,
        license_type=license_type,
        quantity=4,
        customer=tree.dealer,
        now=now,
    )

    assert License.objects.filter(customer=tree.dealer).count() == 4
    transfers = list(Transfer.objects.all())
    assert len(transfers) == 4
    assert len({t.batch for t in transfers}) == 1
    assert {(t.from_customer, t.to_customer, t.method) for t in transfers} == {
        (tree.platform, tree.dealer, "sell")
    }
    assert {lic.customer for lic in licenses} == {tree.dealer}


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, 100_001, -5, None, "10"])
def test_issue_quantity_must_be_1_to_100000(tree, license_type, now, unchanged, quantity):
    with unchanged(), pytest.raises(ValidationFailed) as error:
        licenses_issue(
            actor=tree.platform_admin, license_type=license_type, quantity=quantity, now=now
        )

    assert error.value.field == "quantity"


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["distributor_admin", "dealer_operator"])
def test_only_the_platform_admin_issues(tree, license_type, now, unchanged, actor):
    with unchanged(), pytest.raises(Forbidden):
        licenses_issue(actor=getattr(tree, actor), license_type=license_type, quantity=1, now=now)


@pytest.mark.django_db
def test_issue_of_the_maximum_quantity_inserts_in_bulk_not_row_by_row(
    tree, license_type, now, django_assert_max_num_queries
):
    # SQLite caps the parameters of one statement, so its batches are ~100 rows.
    with django_assert_max_num_queries(2_000):
        licenses = licenses_issue(
            actor=tree.platform_admin, license_type=license_type, quantity=100_000, now=now
        )

    assert License.objects.count() == 100_000
    assert len({lic.card for lic in licenses}) == 100_000


@pytest.mark.django_db
def test_top_up_grows_total_and_available_days_and_writes_the_ledger(tree, license_type, now):
    license = factories.make_license(
        customer=tree.dealer, type=license_type, total_days=365, available_days=10
    )

    result = license_top_up(actor=tree.platform_admin, license=license, days=30, now=now)

    assert (result.total_days, result.available_days) == (395, 40)
    stored = License.objects.get(pk=license.pk)
    assert (stored.total_days, stored.available_days) == (395, 40)
    top_up = TopUp.objects.get()
    assert (top_up.license, top_up.days, top_up.at, top_up.account) == (
        stored,
        30,
        now,
        tree.platform_admin,
    )
    assert AuditEvent.objects.filter(action="license.top_up", target=license.card).exists()


@pytest.mark.django_db
def test_top_up_revives_an_expired_license(tree, license_type, now):
    license = factories.make_license(customer=tree.dealer, type=license_type, available_days=0)

    license_top_up(actor=tree.platform_admin, license=license, days=1, now=now)

    assert License.objects.get(pk=license.pk).available_days == 1


@pytest.mark.django_db
def test_top_up_lifts_the_blacklist_of_the_bound_device(tree, license_type, dealer_device, now):
    Device.objects.filter(pk=dealer_device.pk).update(
        blacklisted=True, blacklisted_at=now, blacklist_reason="no_valid_license"
    )
    license = factories.make_license(
        customer=tree.dealer,
        type=license_type,
        available_days=0,
        device=dealer_device,
        bound_at=now,
    )

    license_top_up(actor=tree.platform_admin, license=license, days=5, now=now)

    assert Device.objects.get(pk=dealer_device.pk).blacklisted is False
    assert AuditEvent.objects.filter(action="device.blacklist_clear").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, 36_501, -1, 2.5])
def test_top_up_days_must_be_1_to_36500(tree, license_type, now, unchanged, days):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(ValidationFailed) as error:
        license_top_up(actor=tree.platform_admin, license=license, days=days, now=now)

    assert error.value.field == "days"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "code"),
    [("dealer_admin", "forbidden"), ("distributor_admin", "forbidden")],
)
def test_only_the_platform_admin_tops_up(tree, license_type, now, unchanged, actor, code):
    license = factories.make_license(customer=tree.dealer, type=license_type)

    with unchanged(), pytest.raises(DaypassError) as error:
        license_top_up(actor=getattr(tree, actor), license=license, days=5, now=now)

    assert error.value.code == code


@pytest.mark.django_db
def test_license_type_create_stores_the_model_range_and_billing(tree, device_model, now):
    other = factories.make_device_model("MX-D2")

    created = license_type_create(
        actor=tree.platform_admin,
        code="DASH-30",
        name="Dashcam 30",
        days=30,
        models=[device_model, other],
        charge_days=2,
        period_hours=48,
        now=now,
    )

    stored = LicenseType.objects.get(pk=created.pk)
    assert (stored.code, stored.days, stored.charge_days, stored.period_hours) == (
        "DASH-30",
        30,
        2,
        48,
    )
    assert sorted(m.code for m in stored.device_models.all()) == ["MX-C6", "MX-D2"]
    assert AuditEvent.objects.filter(action="license_type.create", target="DASH-30").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "ADAS-365"}, "code"),
        ({"days": 0}, "days"),
        ({"charge_days": 0}, "charge_days"),
        ({"period_hours": 0}, "period_hours"),
        ({"models": []}, "models"),
        ({"name": ""}, "name"),
    ],
)
def test_license_type_create_rejects_bad_values(
    tree, device_model, license_type, now, overrides, field
):
    values = {"code": "NEW", "name": "New", "days": 30, "models": [device_model]} | overrides

    with pytest.raises(ValidationFailed) as error:
        license_type_create(actor=tree.platform_admin, now=now, **values)

    assert error.value.field == field


@pytest.mark.django_db
def test_only_the_platform_admin_creates_license_types(tree, device_model, now):
    with pytest.raises(Forbidden):
        license_type_create(
            actor=tree.distributor_admin,
            code="NEW",
            name="New",
            days=30,
            models=[device_model],
            now=now,
        )


@pytest.mark.django_db
def test_issue_to_a_customer_the_platform_cannot_see_is_impossible(tree, license_type, now):
    # every customer is in the platform's subtree; a customer of another tree is not
    other_root = factories.make_customer(name="Other platform")

    with pytest.raises(NotFound):
        licenses_issue(
            actor=tree.platform_admin,
            license_type=license_type,
            quantity=1,
            customer=other_root,
            now=now,
        )
