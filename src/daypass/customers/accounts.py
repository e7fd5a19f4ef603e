"""Writes on accounts (SPEC 5 and 13): create, change, set a password, change one's own.

Consent rule: a superior's admin creates a sub-customer together with its first admin account
(`customers.services.customer_create_with_admin`); after that only the customer's own admins
create, change and deactivate its accounts. A superior asking gets `forbidden` (it may still
list them: `customers.selectors.account_list`), so no superior can mint an account that
switches the consent on.

Every service checks, in this order: visibility (`not_found` outside the actor's subtree),
permission (`forbidden`), input values (`validation_error`). `actor=None` is for `daypass init`
and tests only. Usernames follow Django's username rules (letters, digits and @ . + - _) and
passwords pass the validators of AUTH_PASSWORD_VALIDATORS (Django's four) and are not blank.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation

from daypass.core.audit import audit_record
from daypass.core.errors import Forbidden, NotFound, ValidationFailed
from daypass.core.tenancy import require_customer_visible
from daypass.customers.models import Account, Customer, Role
from daypass.customers.tokens import gateway_cache_forget

USERNAME_MAX_LENGTH = 150
EMAIL_MAX_LENGTH = 254


def email_clean(email: str) -> str:
    """An account's email stripped ("" for none), or `validation_error`."""
    if not isinstance(email, str):
        raise ValidationFailed(message="email must be a string or null.", field="email")
    email = email.strip()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationFailed(
            message=f"email is at most {EMAIL_MAX_LENGTH} characters.", field="email"
        )
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationFailed(message="email is not valid.", field="email") from None
    return email


def username_clean(username: str) -> str:
    """The username stripped, or `validation_error` (Django's username rules, 1-150 chars)."""
    username = (username or "").strip()
    if not username or len(username) > USERNAME_MAX_LENGTH:
        raise ValidationFailed(
            message=f"username must be 1 to {USERNAME_MAX_LENGTH} characters.", field="username"
        )
    try:
        # The model field's own validator: UnicodeUsernameValidator.
        Account._meta.get_field("username").run_validators(username)
    except ValidationError as error:
        raise ValidationFailed(message=" ".join(error.messages), field="username") from None
    return username


def password_check(password: str, *, account: Account, field: str = "password") -> None:
    """`validation_error` unless the password passes every configured validator."""
    if not isinstance(password, str) or not password.strip():
        raise ValidationFailed(message="The password must not be blank.", field=field)
    try:
        validate_password(password, user=account)
    except ValidationError as error:
        # The API's message stays English (SPEC 9); the console shows the validators' reasons
        # in the user's language (Django translates them) instead of a generic "not valid".
        localized = message = " ".join(error.messages)
        with translation.override("en"):
            try:
                validate_password(password, user=account)
            except ValidationError as english:
                message = " ".join(english.messages)
        raise ValidationFailed(message=message, field=field, localized_message=localized) from None


def _role_clean(role: str, customer: Customer) -> Role:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed(
            message="role must be one of " + ", ".join(Role.values) + ".", field="role"
        ) from None
    if role == Role.GATEWAY and not customer.is_platform:
        raise ValidationFailed(message="Gateway accounts belong to the platform.", field="role")
    return role


def _require_own_admin(actor: Account, customer: Customer, what: str) -> None:
    """Visible, then the actor is an admin of this very customer (SPEC 5)."""
    require_customer_visible(actor, customer)
    if actor.role != Role.ADMIN or actor.customer_id != customer.pk:
        raise Forbidden(message=f"Only the customer's own administrators may {what}.")


def account_insert(
    *, actor: Account | None, customer: Customer, username: str, password: str, role: str, now
) -> Account:
    """Validate and insert an account, with no permission check: for `account_create` and for
    `customer_create_with_admin` (the first admin of a customer its superior just created)."""
    username = username_clean(username)
    role = _role_clean(role, customer)
    account = Account(
        username=username,
        customer=customer,
        role=role,
        date_joined=now,
        # Someone else chose this password; the account chooses its own at its first sign-in.
        must_change_password=actor is not None,
    )
    password_check(password, account=account)
    if Account.objects.filter(username=username).exists():
        raise ValidationFailed(message=f"Username {username} is taken.", field="username")
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationFailed(message=f"Username {username} is taken.", field="username") from None
    audit_record(
        actor=actor,
        action="account.create",
        now=now,
        target=username,
        acting_customer=actor.customer if actor else customer,
        customer=customer.number,
        role=role.value,
    )
    return account


@transaction.atomic
def account_create(
    *,
    actor: Account | None,
    customer: Customer,
    username: str,
    password: str,
    role: str,
    now: datetime,
) -> Account:
    """A login for `customer`, by one of its own admins. `gateway` accounts belong to the
    platform only. Usernames are unique."""
    if actor is not None:
        _require_own_admin(actor, customer, "create its accounts")
    return account_insert(
        actor=actor, customer=customer, username=username, password=password, role=role, now=now
    )


def _account_of(customer: Customer, username: str) -> Account:
    """`customer`'s account `username` (locked for update), or `not_found`."""
    account = (
        Account.objects.select_for_update()
        .select_related("customer")
        .filter(customer=customer, username=username)
        .first()
    )
    if account is None:
        raise NotFound(message=f"Account {username} not found.")
    return account


def _active_admins_left(customer: Customer, without: Account) -> bool:
    return (
        Account.objects.filter(customer=customer, role=Role.ADMIN, is_active=True)
        .exclude(pk=without.pk)
        .exists()
    )


@transaction.atomic
def account_update(
    *,
    actor: Account,
    customer: Customer,
    username: str,
    role: str | None = None,
    active: bool | None = None,
    email: str | None = None,
    now: datetime,
) -> Account:
    """Change an account's role, active flag or email (None: leave as is); own admins only.

    A deactivated account cannot sign in and its sessions and tokens stop at once. A customer
    always keeps one active admin: the last one is neither demoted nor deactivated.
    """
    _require_own_admin(actor, customer, "change its accounts")
    account = _account_of(customer, username)
    changes: dict[str, object] = {}
    if role is not None:
        role = _role_clean(role, customer)
        if role != account.role:
            changes["role"] = role
    if active is not None:
        if not isinstance(active, bool):
            raise ValidationFailed(message="active must be true or false.", field="active")
        if active != account.is_active:
            changes["is_active"] = active
    if email is not None:
        email = email_clean(email)
        if email != account.email:
            changes["email"] = email
    stays_admin = changes.get("role", account.role) == Role.ADMIN
    stays_active = changes.get("is_active", account.is_active)
    if account.role == Role.ADMIN and account.is_active and not (stays_admin and stays_active):
        if not _active_admins_left(customer, without=account):
            raise ValidationFailed(
                message="A customer keeps at least one active administrator.",
                field="active" if "is_active" in changes else "role",
            )
    if not changes:
        return account
    for field, value in changes.items():
        setattr(account, field, value)
    account.save(update_fields=list(changes))
    if changes.get("is_active") is False or "role" in changes:
        gateway_cache_forget(account=account)
    details = {
        "active" if field == "is_active" else field: value for field, value in changes.items()
    }
    audit_record(
        actor=actor,
        action="account.update",
        now=now,
        target=account.username,
        customer=customer.number,
        **details,
    )
    return account


@transaction.atomic
def account_set_password(
    *, actor: Account, customer: Customer, username: str, password: str, now: datetime
) -> Account:
    """An own admin sets a new password for one of the customer's accounts. Unless it is the
    admin's own, the account must choose a new one at its next console sign-in."""
    _require_own_admin(actor, customer, "set its accounts' passwords")
    account = _account_of(customer, username)
    password_check(password, account=account)
    account.set_password(password)
    account.must_change_password = account.pk != actor.pk
    account.save(update_fields=["password", "must_change_password"])
    audit_record(
        actor=actor,
        action="account.set_password",
        now=now,
        target=account.username,
        customer=customer.number,
    )
    return account


@transaction.atomic
def account_change_own_password(
    *, actor: Account, current_password: str, password: str, now: datetime
) -> Account:
    """An account changes its own password; a wrong current password is `validation_error`."""
    account = Account.objects.select_for_update().get(pk=actor.pk)
    if not isinstance(current_password, str) or not account.check_password(current_password):
        raise ValidationFailed(message="The current password is wrong.", field="current_password")
    if password == current_password:
        raise ValidationFailed(
            message="The new password must differ from the current one.", field="password"
        )
    password_check(password, account=account)
    account.set_password(password)
    account.must_change_password = False
    account.save(update_fields=["password", "must_change_password"])
    audit_record(actor=actor, action="account.change_password", now=now, target=account.username)
    return account
