"""API bearer tokens: random secrets, stored only as a SHA-256, revocable, with a last-used time.

The secret is `secrets.token_urlsafe(32)` (256 bits), so a plain SHA-256 is enough: there is
nothing to brute-force that a slow hash would protect, and the lookup stays one indexed query
on `key_hash` for every API call, the gate included.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction

from daypass.core.audit import audit_record
from daypass.core.errors import NotFound, ValidationFailed
from daypass.core.tenancy import in_subtree_of
from daypass.customers.models import Account, ApiToken, Customer, Role

# Writing last_used_at on every call would turn every gate request into a write; a minute of
# precision is all an operator needs to spot unused tokens.
LAST_USED_PRECISION = timedelta(minutes=1)
PREFIX_LENGTH = 8
# Optional expiry of a token, in whole days from its creation (10 years at most).
MAX_TOKEN_DAYS = 3650


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# Gateway tokens are remembered in the process for DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS: a
# gateway reports all day long, and skipping the token query halves the database round trips
# of a single-report gate call. Only gateway accounts are cached (they may do nothing but ask
# the gate, which reads only their role and customer), so no person ever sees stale data. A
# revocation is immediate in the process that revokes and takes effect elsewhere within the
# TTL; so does deactivating the account. 0 switches the cache off.
_gateway_cache: dict[str, tuple[datetime, Account]] = {}
GATEWAY_CACHE_MAX_ENTRIES = 10_000


def _gateway_cache_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "DAYPASS_GATEWAY_TOKEN_CACHE_SECONDS", 0))


def _gateway_cache_get(key_hash: str, now: datetime) -> Account | None:
    entry = _gateway_cache.get(key_hash)
    if entry is None:
        return None
    expires_at, account = entry
    if now >= expires_at or now < expires_at - _gateway_cache_ttl():
        _gateway_cache.pop(key_hash, None)
        return None
    return account


def _gateway_cache_put(
    key_hash: str, account: Account, now: datetime, token_expires_at: datetime | None
) -> None:
    ttl = _gateway_cache_ttl()
    if not ttl or account.role != Role.GATEWAY:
        return
    if len(_gateway_cache) >= GATEWAY_CACHE_MAX_ENTRIES:
        _gateway_cache.clear()
    until = now + ttl if token_expires_at is None else min(now + ttl, token_expires_at)
    _gateway_cache[key_hash] = (until, account)


def gateway_cache_forget(*, account: Account) -> None:
    """Forget the account's cached tokens in this process (deactivated, or its role changed);
    other processes forget them within the cache TTL."""
    for key_hash, (_expires_at, cached) in list(_gateway_cache.items()):
        if cached.pk == account.pk:
            _gateway_cache.pop(key_hash, None)


@transaction.atomic
def token_create(
    *, account: Account, name: str, now: datetime, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `account`, valid forever or for `expires_in_days` (1..MAX_TOKEN_DAYS).
    Returns the row and the secret, which is shown only once."""
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= MAX_TOKEN_DAYS
    ):
        raise ValidationFailed(
            message=f"expires_in_days must be a whole number from 1 to {MAX_TOKEN_DAYS}.",
            field="expires_in_days",
        )
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        account=account,
        name=name[:100],
        prefix=secret[:PREFIX_LENGTH],
        key_hash=token_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit_record(
        actor=account,
        action="token.create",
        now=now,
        target=token.prefix,
        name=token.name,
        expires_at=token.expires_at.isoformat() if token.expires_at else None,
    )
    return token, secret


@transaction.atomic
def token_revoke(*, actor: Account, token: ApiToken, now: datetime) -> ApiToken:
    """Revoke a token: its own account, or an admin of the token account's customer (or above).

    A token the actor may not manage is reported as missing, like everything outside its
    subtree.
    """
    owner = token.account
    allowed = owner.pk == actor.pk or (
        actor.is_admin
        and actor.customer is not None
        and owner.customer is not None
        and in_subtree_of(owner.customer, actor.customer)
    )
    if not allowed:
        raise NotFound(message="No such token.")
    _gateway_cache.pop(token.key_hash, None)
    if token.revoked_at is None:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token.revoke",
            now=now,
            target=token.prefix,
            account=owner.username,
        )
    return token


# The authentication query, written out once: it runs on every API call (the gate's included),
# where building it with the ORM cost more than the database took to answer it. It reads the
# token, its account and the account's customer in one round trip.
# In the models' field order, which Model.from_db expects.
_ACCOUNT_FIELDS = ("id", "username", "is_active", "customer_id", "role")
_CUSTOMER_FIELDS = (
    "id",
    "number",
    "name",
    "parent_id",
    "path",
    "depth",
    "allow_superior_manage_licenses",
    "allow_auto_renew",
    "created_at",
)


@lru_cache(maxsize=1)
def _authentication_sql() -> str:
    token_table = ApiToken._meta.db_table
    account_table = Account._meta.db_table
    customer_table = Customer._meta.db_table
    columns = ", ".join(
        ["t.id, t.last_used_at, t.expires_at"]
        + [f"a.{name}" for name in _ACCOUNT_FIELDS]
        + [f"c.{name}" for name in _CUSTOMER_FIELDS]
    )
    return (
        f"SELECT {columns} FROM {token_table} t"
        f" JOIN {account_table} a ON a.id = t.account_id"
        f" LEFT JOIN {customer_table} c ON c.id = a.customer_id"
        " WHERE t.key_hash = %s AND t.revoked_at IS NULL"
        " AND (t.expires_at IS NULL OR t.expires_at > %s)"
    )


def _row_converters(model, names: tuple[str, ...]) -> list:
    """What the ORM would do to each raw column value (e.g. SQLite datetimes to aware ones)."""
    converters = []
    for name in names:
        column = model._meta.get_field(name).get_col(model._meta.db_table)
        converters.append(
            (
                column,
                connection.ops.get_db_converters(column) + column.get_db_converters(connection),
            )
        )
    return converters


@lru_cache(maxsize=4)
def _converters_for(vendor: str) -> tuple[list, list, list]:
    return (
        _row_converters(ApiToken, ("id", "last_used_at", "expires_at")),
        _row_converters(Account, _ACCOUNT_FIELDS),
        _row_converters(Customer, _CUSTOMER_FIELDS),
    )


def _converted(values, converters) -> list:
    result = []
    for value, (column, functions) in zip(values, converters, strict=True):
        for function in functions:
            value = function(value, column, connection)
        result.append(value)
    return result


def token_authenticate(*, secret: str, now: datetime) -> Account | None:
    """The active account behind `secret`, or None. One query (plus, once a minute, an UPDATE);
    none for a gateway token seen within the cache TTL.

    The account comes with its customer loaded (other account fields are deferred: read on
    access). The token's primary key is left on the account as `account.api_token_id`, so the
    caller can revoke "this token" without another lookup.
    """
    if not secret:
        return None
    key_hash = token_hash(secret)
    cached = _gateway_cache_get(key_hash, now)
    if cached is not None:
        return cached
    with connection.cursor() as cursor:
        cursor.execute(_authentication_sql(), [key_hash, now])
        row = cursor.fetchone()
    if row is None:
        return None
    token_converters, account_converters, customer_converters = _converters_for(connection.vendor)
    split = 3 + len(_ACCOUNT_FIELDS)
    token_id, last_used_at, expires_at = _converted(row[:3], token_converters)
    account = Account.from_db(
        connection.alias, list(_ACCOUNT_FIELDS), _converted(row[3:split], account_converters)
    )
    if not account.is_active:
        return None
    if account.customer_id is not None:
        account.customer = Customer.from_db(
            connection.alias,
            list(_CUSTOMER_FIELDS),
            _converted(row[split:], customer_converters),
        )
    if last_used_at is None or now - last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
    account.api_token_id = token_id
    _gateway_cache_put(key_hash, account, now, expires_at)
    return account
