"""The console's previews of a batch: every bad row, the same codes, nothing written."""

from daypass.core.batch_errors import RowError
from daypass.devices.imports import DeviceImportRow, devices_import_check
from daypass.licenses.services.batches import BindItem, licenses_bind_batch_preview
from tests import factories
from tests.licenses.conftest import database_state

NOW = factories.NOW


def test_bind_preview_shows_the_picks_and_every_bad_row_without_writing(
    tree, device_model, license_type, dealer_device
):
    other = factories.make_device_model("MX-OTHER")
    factories.make_device(customer=tree.dealer, model=other, number="ODD")
    factories.make_license(customer=tree.dealer, type=license_type, card="L1")
    factories.make_license(customer=tree.dealer, type=license_type, card="L2", locked=True)
    before = database_state()

    preview = licenses_bind_batch_preview(
        actor=tree.dealer_admin,
        items=[
            BindItem(device="DEV-DEALER", type="ADAS-365"),
            BindItem(device="ODD", type="ADAS-365"),
            BindItem(device="DEV-DEALER", card="L2"),
            BindItem(device="NOPE", card="L1"),
        ],
        now=NOW,
    )

    assert preview.items == [("DEV-DEALER", "L1")]
    assert [(e.row, e.code) for e in preview.errors] == [
        (2, "model_mismatch"),
        (3, "license_locked"),
        (4, "not_found"),
    ]
    assert database_state() == before


def test_import_check_reports_every_bad_row_and_writes_nothing(tree, device_model):
    errors = devices_import_check(
        actor=tree.platform_admin,
        rows=[
            DeviceImportRow(number="N1", model="MX-C6", customer=tree.fleet.number),
            DeviceImportRow(number="N1", model="MX-C6", customer=tree.fleet.number),
            DeviceImportRow(number="N2", model="MX-NONE", customer=tree.fleet.number),
        ],
    )

    assert errors == [
        RowError(row=2, code="validation_error", message="Device N1 is already in row 1."),
        RowError(row=3, code="not_found", message="Device model MX-NONE not found."),
    ]
    assert database_state()["licenses"] == []
