"""The device's SPEC shape (sections 9 and 14), shared by the API and the event snapshots."""

from __future__ import annotations

from daypass.devices.models import Device


def device_out(device: Device) -> dict:
    # device_list/device_get prefetch the bound licenses in card order.
    bound = sorted(device.licenses.all(), key=lambda lic: lic.card)
    return {
        "number": device.number,
        "model": device.model.code,
        "customer": device.customer.number,
        "service_until": device.service_until,
        "blacklisted": device.blacklisted,
        "licenses": [lic.card for lic in bound],
        "last_refused_at": device.last_refused_at,
        "refused_reports": device.refused_reports,
    }
