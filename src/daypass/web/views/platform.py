"""The platform operator's pages (SPEC 13): issue licenses, license types and device models,
device registration, clearing a blacklist by hand. Only the platform's administrators see them;
every write is a service that checks the same again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from daypass.core import clock
from daypass.core.batch_errors import RowErrors
from daypass.core.errors import DaypassError
from daypass.core.limits import MAX_IMPORT_DEVICES
from daypass.core.tenancy import subtree_customers
from daypass.devices.imports import DeviceImportRow, devices_import, devices_import_check
from daypass.devices.selectors import device_get, device_model_by_code, device_models
from daypass.devices.services import device_clear_blacklist, device_model_create, device_register
from daypass.licenses.selectors import license_type_by_code, license_types
from daypass.licenses.services import license_type_create, licenses_issue
from daypass.web.csv_upload import CsvRejected, csv_lines, csv_text_of_upload, preview_lines
from daypass.web.error_messages import error_text
from daypass.web.forms import (
    ClearBlacklistForm,
    DeviceModelForm,
    DeviceRegisterForm,
    IssueForm,
    LicenseTypeForm,
)
from daypass.web.selection import selected_customer
from daypass.web.views.customers import _create
from daypass.web.views.page import console_view, render_page, run_action, safe_next


def require_platform_admin(request: HttpRequest) -> None:
    if not request.user.is_platform_admin:
        raise PermissionDenied


def customer_choices(request: HttpRequest, *, blank: str | None = None) -> list[tuple[str, str]]:
    """Every customer of the platform, in tree order, indented by depth."""
    own = request.user.customer
    choices = [("", blank)] if blank is not None else []
    for customer in subtree_customers(own).only("number", "name", "depth", "path"):
        depth = customer.depth - own.depth
        prefix = "\u00a0\u00a0" * depth + ("└ " if depth else "")
        choices.append((customer.number, f"{prefix}{customer.name} ({customer.number})"))
    return choices


def _customer(request: HttpRequest, number: str):
    return subtree_customers(request.user.customer).get(number=number) if number else None


@console_view
def issue(request: HttpRequest) -> HttpResponse:
    require_platform_admin(request)
    customer = selected_customer(request)
    form = IssueForm(request.POST or None, prefix="issue")
    form.fields["type"].choices = [
        (t.code, f"{t.code} · {t.name} ({t.days})") for t in license_types()
    ]
    form.fields["customer"].choices = customer_choices(request, blank=_("The platform's stock"))
    if request.method == "POST":

        def issue_them(data):
            return licenses_issue(
                actor=request.user,
                license_type=license_type_by_code(data["type"]),
                quantity=data["quantity"],
                customer=_customer(request, data["customer"]),
                now=clock.now(),
            )

        done = _create(
            request,
            form,
            issue_them,
            success=lambda issued: issued_message(issued),
            next_url=reverse("web:platform_issue"),
        )
        if done is not None:
            return done
    return render_page(
        request,
        "web/platform_issue.html",
        {"title": _("Issue licenses"), "form": form},
        customer=customer,
        nav="platform_issue",
    )


def issued_message(issued) -> str:
    first, last, owner = issued[0], issued[-1], issued[0].customer
    values = {
        "count": len(issued),
        "type": first.type.code,
        "name": owner.name,
        "first": first.card,
        "last": last.card,
    }
    if len(issued) == 1:
        return _("Issued 1 license of %(type)s to %(name)s: %(first)s.") % values
    return (
        ngettext(
            "Issued %(count)d license of %(type)s to %(name)s: %(first)s to %(last)s.",
            "Issued %(count)d licenses of %(type)s to %(name)s: %(first)s to %(last)s.",
            len(issued),
        )
        % values
    )


@console_view
def catalog(request: HttpRequest) -> HttpResponse:
    """License types and device models: the lists, and a form to add each."""
    require_platform_admin(request)
    customer = selected_customer(request)
    models = list(device_models())
    type_form = LicenseTypeForm(prefix="type")
    model_form = DeviceModelForm(prefix="model")
    next_url = reverse("web:platform_catalog")
    if request.method == "POST":
        done = None
        if request.POST.get("form") == "type":
            type_form = LicenseTypeForm(request.POST, prefix="type")
            type_form.fields["models"].choices = [(m.code, m.code) for m in models]
            done = _create(
                request,
                type_form,
                lambda data: license_type_create(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    days=data["days"],
                    models=[m for m in models if m.code in data["models"]],
                    charge_days=data["charge_days"],
                    period_hours=data["period_hours"],
                    now=clock.now(),
                ),
                success=lambda created: (
                    _("License type %(code)s is created.") % {"code": created.code}
                ),
                next_url=next_url,
            )
        elif request.POST.get("form") == "model":
            model_form = DeviceModelForm(request.POST, prefix="model")
            done = _create(
                request,
                model_form,
                lambda data: device_model_create(
                    actor=request.user, code=data["code"], name=data["name"], now=clock.now()
                ),
                success=lambda created: (
                    _("Device model %(code)s is created.") % {"code": created.code}
                ),
                next_url=next_url,
            )
        if done is not None:
            return done
    type_form.fields["models"].choices = [(m.code, m.code) for m in models]
    return render_page(
        request,
        "web/platform_catalog.html",
        {
            "title": _("License types and device models"),
            "license_types": license_types(),
            "device_models": models,
            "type_form": type_form,
            "model_form": model_form,
        },
        customer=customer,
        nav="platform_catalog",
    )


@console_view
def device_registration(request: HttpRequest) -> HttpResponse:
    """Register one device (the CSV import is on the same page)."""
    require_platform_admin(request)
    customer = selected_customer(request)
    form = DeviceRegisterForm(request.POST or None, prefix="device")
    form.fields["model"].choices = [
        (m.code, f"{m.code} · {m.name}" if m.name else m.code) for m in device_models()
    ]
    form.fields["customer"].choices = customer_choices(request)
    if request.method == "POST" and request.POST.get("form") in IMPORT_FORMS:
        return device_import(request, form)
    if request.method == "POST" and request.POST.get("form") == "device":
        done = _create(
            request,
            form,
            lambda data: device_register(
                actor=request.user,
                number=data["number"],
                model=device_model_by_code(data["model"]),
                customer=_customer(request, data["customer"]),
                now=clock.now(),
            ),
            success=lambda device: (
                _("Device %(number)s (%(model)s) is registered for %(name)s.")
                % {
                    "number": device.number,
                    "model": device.model.code,
                    "name": device.customer.name,
                }
            ),
            next_url=reverse("web:platform_devices"),
        )
        if done is not None:
            return done
    return render_page(
        request,
        "web/platform_devices.html",
        {"title": _("Register devices"), "form": form, **import_context(request)},
        customer=customer,
        nav="platform_devices",
    )


def import_context(request: HttpRequest) -> dict:
    """The CSV import's part of the page: the upload form."""
    return {
        "import_available": True,
        "import_columns": ",".join(IMPORT_COLUMNS),
        "import_headings": [_("Device number"), _("Model"), _("Customer")],
        "import_max_rows": MAX_IMPORT_DEVICES,
    }


IMPORT_COLUMNS = ("number", "model", "customer")
IMPORT_FORMS = ("import", "import_confirm")


def device_import(request: HttpRequest, form) -> HttpResponse:
    """Upload (`form=import`): preview every line with its error. Confirm (`form=import_confirm`,
    the CSV text in a hidden field): read and check it all again, then import all or nothing."""
    confirming = request.POST.get("form") == "import_confirm"
    context: dict = {"title": _("Register devices"), "form": form, **import_context(request)}
    try:
        if confirming:
            text = request.POST.get("csv", "")
        else:
            text = csv_text_of_upload(request.FILES.get("file"))
        lines = csv_lines(text, columns=IMPORT_COLUMNS, max_rows=MAX_IMPORT_DEVICES)
    except CsvRejected as rejected:
        return _import_page(request, {**context, "import_error": rejected.message}, status=422)
    rows = [DeviceImportRow(*line.cells) for line in lines]
    try:
        if confirming:
            count = devices_import(actor=request.user, rows=rows, now=clock.now())
            messages.success(
                request,
                ngettext("Imported %(count)d device.", "Imported %(count)d devices.", count)
                % {"count": count},
            )
            return redirect("web:platform_devices")
        errors = devices_import_check(actor=request.user, rows=rows)
    except RowErrors as refused:
        errors = refused.rows
    except DaypassError as error:
        return _import_page(request, {**context, "import_error": error_text(error)}, status=422)
    preview = preview_lines(lines, errors)
    context.update(
        import_preview=preview,
        import_csv=text,
        import_bad=sum(1 for _line, line_errors, _outcome in preview if line_errors),
        import_refused=confirming,
    )
    return _import_page(request, context, status=422 if errors else 200)


def _import_page(request: HttpRequest, context: dict, *, status: int) -> HttpResponse:
    return render_page(
        request,
        "web/platform_devices.html",
        context,
        customer=selected_customer(request),
        nav="platform_devices",
        status=status,
    )


@require_POST
@console_view
def clear_blacklist(request: HttpRequest, number: str) -> HttpResponse:
    require_platform_admin(request)
    device = device_get(request.user, number)
    back = safe_next(request, reverse("web:device", args=[device.number]))
    form = ClearBlacklistForm(request.POST)
    if request.POST.get("confirmed") != "1" or not form.is_valid():
        return render_page(
            request,
            "web/platform_clear_blacklist.html",
            {
                "title": _("Clear the blacklist"),
                "device": device,
                "form": form if request.POST.get("confirmed") == "1" else ClearBlacklistForm(),
                "next": back,
            },
            customer=device.customer,
            nav="devices",
        )
    return run_action(
        request,
        lambda: device_clear_blacklist(
            actor=request.user,
            device=device,
            now=clock.now(),
            reason=form.cleaned_data["reason"],
            by_hand=True,
        ),
        success=_("The blacklist of device %(number)s is cleared: it may report again.")
        % {"number": device.number},
        next_url=back,
    )
