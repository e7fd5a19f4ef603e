"""Every error code lives in one enum, which the documentation and the console messages read."""

from pathlib import Path

from daypass.core.errors import DaypassError, ErrorCode
from daypass.web.error_messages import MESSAGES_BY_CODE

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"

# SPEC section 9's list, to the letter.
SPEC_CODES = {
    "unauthenticated",
    "forbidden",
    "not_found",
    "validation_error",
    "license_locked",
    "license_not_unused",
    "license_not_locked",
    "license_bound",
    "license_not_bound",
    "license_expired",
    "model_mismatch",
    "device_not_in_subtree",
    "not_a_child",
    "no_superior",
    "insufficient_quantity",
    "superior_management_disabled",
}


def test_every_spec_code_is_in_the_enum():
    assert SPEC_CODES <= {code.value for code in ErrorCode}


def test_the_api_documentation_names_every_code():
    text = API_DOC.read_text()

    assert [code for code in ErrorCode if f"`{code}`" not in text] == []


def test_the_console_has_a_message_for_every_spec_code_and_reads_them_from_the_enum():
    assert SPEC_CODES <= {str(code) for code in MESSAGES_BY_CODE}
    assert all(isinstance(code, ErrorCode) for code in MESSAGES_BY_CODE)


def test_an_unknown_code_is_refused_where_it_is_raised():
    try:
        DaypassError("no_such_code", "x")
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown code was accepted")


def test_a_business_code_is_a_409_unless_listed():
    assert DaypassError(ErrorCode.LICENSE_LOCKED).http_status == 409
    assert DaypassError(ErrorCode.SUPERIOR_MANAGEMENT_DISABLED).http_status == 403
    assert DaypassError(ErrorCode.BUSY).http_status == 503
