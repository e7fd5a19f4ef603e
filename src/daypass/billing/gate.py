"""The report gate (SPEC 4.1): may these devices report data at `now`?

A batch costs one SELECT of the devices by number, plus one deduction transaction for each
device whose paid window has ended. Devices still paid for, blacklisted or unknown are answered
from that one SELECT, without building model instances: that is the hot path a gateway hits
for every report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from daypass.billing.blacklist import NO_VALID_LICENSE
from daypass.billing.deduction import device_charge
from daypass.billing.models import DeductionResult, DeductionTrigger
from daypass.billing.refusals import REFUSAL_RECORD_INTERVAL, refusal_pending_since, refusals_record
from daypass.core.prepared import server_bound_fetch
from daypass.devices.models import Device

PAID = "paid"
CHARGED = "charged"
UNKNOWN_DEVICE = "unknown_device"
BLACKLISTED = "blacklisted"
# NO_VALID_LICENSE: the blacklist reason doubles as the refusal reason.


@dataclass(slots=True, frozen=True)
class GateResult:
    device: str
    allowed: bool
    reason: str
    # The end of the paid window: a gateway may cache an allowed answer until then.
    service_until: datetime | None


def gate_check(*, device_numbers: list[str], now: datetime) -> list[GateResult]:
    """Answer each report in request order, charging devices whose window has ended.

    A batch is answered as if its reports arrived one after another: the second report of a
    device that the first one charged finds it paid (reason `paid`), so a device is charged at
    most once per batch; after a failed charge the next one finds it `blacklisted`.

    Refused known devices are remembered (`last_refused_at`, `refused_reports`), only those
    whose last recorded refusal (in the database, or waiting in this process's buffer) is a
    minute old or more: under a flood of reports of a blacklisted fleet most refusals cost a
    dictionary lookup. `billing.refusals` writes them, behind the gate by default.
    """
    state_by_number = _device_states(device_numbers)
    results: list[GateResult] = []
    append = results.append
    record_before_instant = now - REFUSAL_RECORD_INTERVAL
    record_before = record_before_instant.timestamp()
    to_record: list[int] = []
    for number in device_numbers:
        state = state_by_number.get(number)
        if state is None:
            append(GateResult(number, False, UNKNOWN_DEVICE, None))
            continue
        pk, service_until, blacklisted, last_refused = state
        if blacklisted:
            append(GateResult(number, False, BLACKLISTED, service_until))
        elif service_until is not None and service_until > now:
            append(GateResult(number, True, PAID, service_until))
            continue
        else:
            result = _charge_on_report(pk=pk, number=number, now=now)
            state_by_number[number] = (pk, result.service_until, not result.allowed, last_refused)
            append(result)
            if result.allowed:
                continue
        if last_refused is None or last_refused <= record_before:
            pending_since = refusal_pending_since(pk)
            if pending_since is not None and pending_since > record_before_instant:
                continue
            to_record.append(pk)
            # A second refusal of this device in the batch is less than a minute after it.
            state_by_number[number] = (*state_by_number[number][:3], now.timestamp())
    if to_record:
        refusals_record(device_ids=to_record, now=now)
    return results


def _device_states(
    device_numbers: list[str],
) -> dict[str, tuple[int, datetime | None, bool, float | None]]:
    """number -> (pk, service_until, blacklisted, last refusal as epoch seconds) of the known
    devices, in one SELECT."""
    # The connection itself, not the `connection` proxy, which costs a thread-local lookup
    # (~2 us) on every attribute read: the hot path reads a dozen.
    database = connections[DEFAULT_DB_ALIAS]
    if database.vendor != "postgresql":
        return {
            number: (pk, service_until, blacklisted, last_refused and last_refused.timestamp())
            for number, pk, service_until, blacklisted, last_refused in Device.objects.filter(
                number__in=set(device_numbers)
            )
            .order_by()
            .values_list("number", "pk", "service_until", "blacklisted", "last_refused_at")
        }
    # PostgreSQL, the production store: the instant as epoch seconds, because Django's
    # timestamptz loader costs ~10 us a row where fromtimestamp() costs 0.3 us. A float8 holds
    # epoch microseconds exactly until the year 2100 and beyond.
    unique_numbers = list(set(device_numbers))
    if len(unique_numbers) == 1:
        # A single report (the everyday gateway call): the plainest statement, cheapest to run.
        rows = _fetch_device_rows(database, _single_device_sql(), unique_numbers)
    else:
        # One array parameter instead of up to 1,000 placeholders (the driver's placeholder
        # parsing cost more than the query).
        rows = _fetch_device_rows(database, _many_devices_sql(), [unique_numbers])
    fromtimestamp = datetime.fromtimestamp
    return {
        number: (pk, None if epoch is None else fromtimestamp(epoch, UTC), blacklisted, refused)
        for number, pk, epoch, blacklisted, refused in rows
    }


_DEVICE_STATE_COLUMNS = (
    "number, id, EXTRACT(EPOCH FROM service_until)::float8, blacklisted,"
    " EXTRACT(EPOCH FROM last_refused_at)::float8"
)


@cache
def _single_device_sql() -> str:
    table = connection.ops.quote_name(Device._meta.db_table)
    return f"SELECT {_DEVICE_STATE_COLUMNS} FROM {table} WHERE number = %s"


@cache
def _many_devices_sql() -> str:
    table = connection.ops.quote_name(Device._meta.db_table)
    return f"SELECT {_DEVICE_STATE_COLUMNS} FROM {table} WHERE number = ANY(%s)"


def _fetch_device_rows(database: BaseDatabaseWrapper, sql: str, params: list) -> list[tuple]:
    """Run the gate's one read on PostgreSQL: one round trip, even on a reused connection.

    With CONN_HEALTH_CHECKS, Django spends a round trip (`SELECT 1`) before the first query of
    every request that reuses a connection. For this read outside any transaction, running it
    is the check: if the reused connection turns out dead (the database restarted), it is
    closed and the read runs again on a new one, so nobody sees the error the check prevents.
    """
    reusing = database.connection is not None and not database.in_atomic_block
    if reusing:
        database.health_check_done = True
    try:
        return server_bound_fetch(sql, params, database=database)
    except (OperationalError, InterfaceError):
        if not reusing:
            raise
        database.close()
        return server_bound_fetch(sql, params, database=database)


def _charge_on_report(*, pk: int, number: str, now: datetime) -> GateResult:
    device = Device(pk=pk, number=number)
    deduction = device_charge(device=device, now=now, trigger=DeductionTrigger.REPORT)
    if deduction is None:
        # Charged by someone else (the sweep, another gateway) or blacklisted meanwhile: the
        # locked row is the truth.
        if device.blacklisted:
            return GateResult(number, False, BLACKLISTED, device.service_until)
        return GateResult(number, True, PAID, device.service_until)
    if deduction.result == DeductionResult.SUCCESS:
        return GateResult(number, True, CHARGED, device.service_until)
    return GateResult(number, False, NO_VALID_LICENSE, device.service_until)
