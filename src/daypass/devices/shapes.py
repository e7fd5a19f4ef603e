"""The device's SPEC shape (sections 9 and 14), shared by the API and the event snapshots."""

from __future__ import annotations

from daypass.devices.models import Device


def device_out(device: Device, *, cards: list[str] | None = None) -> dict:
    """`cards`: the bound licenses' cards when the caller read them itself (events.snapshots);
    otherwise `device.licenses` is read (device_list/device_get prefetch it)."""
    if cards is None:
        cards = [lic.card for lic in device.licenses.all()]
    return {
        "number": device.number,
        "model": device.model.code,
        "customer": device.customer.number,
        "service_until": device.service_until,
        "blacklisted": device.blacklisted,
        "licenses": sorted(cards),
        "last_refused_at": device.last_refused_at,
        "refused_reports": device.refused_reports,
    }
