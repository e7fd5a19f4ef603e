"""The console's CSV batch pages (SPEC 13): device import on the platform's device page and
bulk bind from the devices page — a preview with every line's error, then all or nothing."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from daypass.devices.models import Device
from daypass.licenses.models import License
from tests import factories

IMPORT = "web:platform_devices"
BIND = "web:devices_bind_batch"


def upload(text: str | bytes, name: str = "devices.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def preview_rows(response) -> dict[int, tuple]:
    return {
        line.row: (line.cells, errors, outcome)
        for line, errors, outcome in response.context["preview"]
    }


# --- device import -----------------------------------------------------------------------------


def import_preview(client, text):
    return client.post(reverse(IMPORT), {"form": "import", "file": upload(text)})


def test_the_import_preview_lists_every_line_with_its_error(tree, catalog, login):
    client = login(tree.platform_admin)
    text = (
        "number,model,customer\n"
        f"861000000000001,MX-C6,{tree.fleet.number}\n"
        f"861000000000002,NOPE,{tree.fleet.number}\n"
        f"861000000000001,MX-C6,{tree.dealer.number}\n"
        f"860000000000001,MX-C6,{tree.fleet.number}\n"
    )

    response = import_preview(client, text)

    assert response.status_code == 422
    lines = {line.row: errors for line, errors, _ in response.context["import_preview"]}
    assert lines[1] == []
    assert lines[2] == ["Device model NOPE not found."]
    assert lines[3] == ["Device 861000000000001 is already in row 1."]
    assert lines[4] == ["Device 860000000000001 already exists."]
    page = response.content.decode()
    assert "Device model NOPE not found." in page
    assert "3 lines have errors" in page
    assert 'name="form" value="import_confirm"' not in page  # nothing to confirm
    assert not Device.objects.filter(number__startswith="861").exists()


def test_import_preview_then_confirm_names_the_count(tree, catalog, login):
    client = login(tree.platform_admin)
    text = (
        f"861000000000001,MX-C6,{tree.fleet.number}\n861000000000002,DV-200,{tree.dealer.number}\n"
    )

    preview = import_preview(client, text)
    assert preview.status_code == 200
    assert not Device.objects.filter(number__startswith="861").exists()  # a preview writes nothing
    assert 'name="form" value="import_confirm"' in preview.content.decode()

    response = client.post(
        reverse(IMPORT),
        {"form": "import_confirm", "csv": preview.context["import_csv"]},
        follow=True,
    )

    assert messages_of(response) == ["Imported 2 devices."]
    assert Device.objects.get(number="861000000000002").customer == tree.dealer


def test_a_bad_line_on_confirmation_imports_nothing(tree, catalog, login):
    """The confirmation reads the posted text again; a tampered line refuses the whole file."""
    client = login(tree.platform_admin)
    text = f"861000000000001,MX-C6,{tree.fleet.number}\n861000000000002,MX-C6,NOPE\n"

    response = client.post(reverse(IMPORT), {"form": "import_confirm", "csv": text})

    assert response.status_code == 422
    lines = {line.row: errors for line, errors, _ in response.context["import_preview"]}
    assert lines == {1: [], 2: ["Customer NOPE not found."]}
    assert not Device.objects.filter(number__startswith="861").exists()


def test_a_file_that_is_not_csv_text_is_refused_with_a_clear_message(tree, catalog, login):
    client = login(tree.platform_admin)
    cases = {
        b"861000000000001,MX-C6,\x00\n": "NUL byte",
        "861000000000001,MX-C6,Flotte é\n".encode("latin-1"): "not UTF-8",
        "861000000000001,MX-C6\n": "Line 1 has 2 cells",
        "".join(f"8610{i:011d},MX-C6,{tree.fleet.number}\n" for i in range(10_001)): "10001 lines",
        "": "no lines",
    }
    for data, message in cases.items():
        response = import_preview(client, data)
        assert response.status_code == 422, message
        assert message in response.context["import_error"]
    assert not Device.objects.filter(number__startswith="861").exists()


def test_only_the_platform_imports_devices(tree, catalog, login):
    text = f"861000000000001,MX-C6,{tree.fleet.number}\n"
    for account in (tree.distributor_admin, tree.dealer_operator):
        client = login(account)
        assert import_preview(client, text).status_code == 403
        response = client.post(reverse(IMPORT), {"form": "import_confirm", "csv": text})
        assert response.status_code == 403
    assert not Device.objects.filter(number__startswith="861").exists()


def test_the_import_is_on_the_platform_device_page(tree, login):
    page = login(tree.platform_admin).get(reverse(IMPORT)).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert 'name="form" value="import"' in page


# --- bulk bind ---------------------------------------------------------------------------------


def bind_preview(client, text):
    return client.post(reverse(BIND), {"form": "preview", "file": upload(text)})


def spare_device(tree, catalog, number="860000000000003"):
    return factories.make_device(customer=tree.distributor, model=catalog["mx"], number=number)


def test_the_bind_preview_shows_picks_and_every_lines_error(tree, catalog, login):
    spare_device(tree, catalog)
    client = login(tree.distributor_admin)
    text = (
        "device,license code\n"
        "860000000000003,ADAS-365\n"
        "860000000000002,L0002\n"
        "869999999999999,L0001\n"
    )

    response = bind_preview(client, text)

    assert response.status_code == 422
    rows = preview_rows(response)
    assert rows[1][1] == [] and rows[1][2].startswith("binds L000")
    assert rows[2][1] == ["License type ADAS-365 does not fit device model DV-200."]
    assert rows[3][1] == ["Device 869999999999999 not found."]
    assert "2 lines have errors" in response.content.decode()
    assert not License.objects.filter(device__number="860000000000003").exists()


def test_bulk_bind_preview_then_confirm_binds_all(tree, catalog, login):
    spare_device(tree, catalog)
    spare_device(tree, catalog, "860000000000004")
    client = login(tree.distributor_admin)

    preview = bind_preview(client, "860000000000003,ADAS-365\n860000000000004,L0002\n")
    assert preview.status_code == 200
    picked = preview_rows(preview)[1][2]

    response = client.post(
        reverse(BIND), {"form": "confirm", "csv": preview.context["preview_csv"]}, follow=True
    )

    assert messages_of(response) == ["Bound 2 licenses."]
    assert License.objects.get(card="L0002").device.number == "860000000000004"
    assert picked == f"binds {License.objects.get(device__number='860000000000003').card}"


def test_a_bad_line_on_bind_confirmation_binds_nothing(tree, catalog, login):
    spare_device(tree, catalog)
    client = login(tree.distributor_admin)

    response = client.post(
        reverse(BIND), {"form": "confirm", "csv": "860000000000003,L0001\n860000000000002,L0002\n"}
    )

    assert response.status_code == 422
    assert preview_rows(response)[2][1] == [
        "License type ADAS-365 does not fit device model DV-200."
    ]
    assert "Item 2" in response.context["refused"]
    assert License.objects.get(card="L0001").device is None


def test_a_viewer_cannot_bulk_bind(tree, catalog, login):
    spare_device(tree, catalog)
    client = login(tree.distributor_viewer)

    assert client.get(reverse(BIND)).status_code == 403
    assert bind_preview(client, "860000000000003,L0001\n").status_code == 403
    response = client.post(reverse(BIND), {"form": "confirm", "csv": "860000000000003,L0001\n"})
    assert response.status_code == 403
    assert License.objects.get(card="L0001").device is None
    devices = login(tree.distributor_viewer).get(reverse("web:devices")).content.decode()
    assert reverse(BIND) not in devices


def test_the_devices_page_links_to_bulk_bind(tree, catalog, login):
    page = login(tree.dealer_operator).get(reverse("web:devices")).content.decode()

    assert reverse(BIND) in page
    assert login(tree.dealer_operator).get(reverse(BIND)).status_code == 200
