"""Every input limit and threshold, in one place: the schemas, the services and the console read
them from here, so no number is typed twice.

Changing one changes the API's validation, the OpenAPI document, the services' checks and the
console's messages together.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

# --- lists ----------------------------------------------------------------------------------
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Bounds the row offset to what every database accepts as an integer.
MAX_PAGE = 10_000_000
# The console's page sizes (its default is DEFAULT_PAGE_SIZE).
CONSOLE_PAGE_SIZES = (20, 50, 100, 200)
# Console Batch Select renders every chosen row checked on one page; beyond this, use the API.
BATCH_SELECT_MAX = 1000
# Rows fetched per round trip when streaming a CSV export.
CSV_CHUNK = 2000

# --- quantities and days --------------------------------------------------------------------
# Licenses issued, sold or returned in one call, and cards or devices named in one request.
MAX_QUANTITY = 100_000
# Days of a license type, of one top-up, and a license type's charge_days.
MAX_DAYS = 36_500
MAX_PERIOD_HOURS = 24 * MAX_DAYS
# Far above any license (issue 36,500 days, then top-ups) and inside every database's integers:
# the bound of the days_min / days_max filters.
MAX_FILTER_DAYS = 2_000_000_000
# Device models one license type may name.
MAX_TYPE_MODELS = 1000
# Reports in one gate call.
MAX_GATE_BATCH = 1000
# The batches of the console for the whole tree (SPEC 13): licenses topped up, items bound and
# devices imported in one call.
MAX_TOP_UP_BATCH = 10_000
MAX_BIND_BATCH = 1_000
MAX_IMPORT_DEVICES = 10_000

# --- text -----------------------------------------------------------------------------------
CODE_MAX_LENGTH = 64  # license type and device model codes, device numbers
NAME_MAX_LENGTH = 200  # customer, license type and device model names
CUSTOMER_NUMBER_MAX_LENGTH = 16
USERNAME_MAX_LENGTH = 150
PASSWORD_MAX_LENGTH = 128
TOKEN_NAME_MAX_LENGTH = 100

# --- running low (SPEC section 6) -----------------------------------------------------------
# A license with some days left but fewer than these is "running low" on the overview.
RUNNING_LOW_DAYS = 30
RUNNING_VERY_LOW_DAYS = 7

# --- date filters ---------------------------------------------------------------------------
# The days and instants (UTC) a date filter accepts: one day inside what Python and the
# databases represent, so a day's upper bound (the next midnight) never overflows. Outside: 422.
FILTER_DATE_MIN = date(1, 1, 2)
FILTER_DATE_MAX = date(9999, 12, 30)
FILTER_INSTANT_MIN = datetime.combine(FILTER_DATE_MIN, time.min, tzinfo=UTC)
FILTER_INSTANT_MAX = datetime.combine(FILTER_DATE_MAX, time.max, tzinfo=UTC)

# --- audit ----------------------------------------------------------------------------------
# Audit events name at most this many cards or devices; the count is always recorded.
AUDIT_MAX_ITEMS = 200
