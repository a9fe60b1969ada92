"""Phone numbers of mainland China, as people type them.

Mobile: 11 digits starting 13-19, optionally after +86, 0086 or 86. Stored as the bare 11 digits.
Landline: area code + local number, optionally with an extension. Area codes are 010 and 02x
(3 digits, followed by 8 digits) or 0 + three digits starting 3-9 (such as 0571, followed by 7 or
8 digits); a local number starts with 2-9. Stored as "0571-8888777" or, with an extension,
"010-62345678-123".

Spaces, dashes, dots, brackets and full-width characters from Chinese input methods are ignored.
Extensions are written after 转, 分机, ext, x, # or a last dash ("010-62345678-123").
Numbers outside mainland China are refused: the clinic calls and texts through mainland networks.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_

MOBILE_LENGTH = 11

# The dash form needs a separator before the 7-8 digit number, so that a mobile written
# "1381234-5678" is not read as a number with extension 5678.
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#|(?:(?<=[\s\-)]\d{7})|(?<=[\s\-)]\d{8}))-)\s*(\d+)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-().\u2013\u2014]")


class PhoneKind(str, Enum):
    MOBILE = "mobile"
    LANDLINE = "landline"


@dataclass(frozen=True)
class PhoneCheck:
    """What ``validate_phone`` found; ``normalized`` and ``kind`` are None whenever it failed."""

    normalized: str | None
    kind: PhoneKind | None
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_phone(text: str, field: str = "phone") -> PhoneCheck:
    """Check a mobile or landline number as typed; ``field`` names the form field it came from."""
    text = unicodedata.normalize("NFKC", text).strip()
    extension = None
    found = _EXTENSION.search(text)
    if found:
        extension, text = found.group(1), text[: found.start()]
    compact = _SEPARATORS.sub("", text)
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    for character in digits:
        if not (character.isascii() and character.isdigit()):
            return _refused(
                field,
                "phone.characters",
                N_("“{character}” cannot be part of a phone number: use digits only (spaces and dashes are fine)."),
                character=character,
            )

    if international or digits.startswith("00"):
        digits = digits.removeprefix("00")
        if not digits.startswith("86"):
            return _refused(field, "phone.foreign", N_("Only numbers in mainland China (+86) can be entered."))
        digits = digits[2:]
        # Written internationally, a landline drops the 0 of its area code: +86 571 ..., +86 10 ...
        if re.match(r"10|[2-9]", digits):
            digits = "0" + digits
    elif len(digits) == MOBILE_LENGTH + 2 and digits.startswith("861"):
        digits = digits[2:]

    if not digits:
        return _refused(field, "phone.empty", N_("Enter a phone number."))
    if digits.startswith("1"):
        problems = _mobile_problems(digits, extension, field)
        if problems:
            return PhoneCheck(None, None, problems)
        return PhoneCheck(digits, PhoneKind.MOBILE, [])
    if digits.startswith("0"):
        return _landline(digits, extension, field)
    if len(digits) in (7, 8):
        return _refused(
            field,
            "phone.missing_area_code",
            N_("This looks like a landline number without its area code: add the area code (such as 0571) in front."),
        )
    return _refused(
        field,
        "phone.first_digit",
        N_("Mobile numbers start with 1 and landline numbers with their area code (0…); this one starts with {digit}."),
        digit=digits[0],
    )


def _mobile_problems(digits: str, extension: str | None, field: str) -> list[Problem]:
    problems = []
    if len(digits) < MOBILE_LENGTH:
        problems.append(
            _error(
                field,
                "phone.mobile_too_short",
                N_("This mobile number is too short: a mobile number has 11 digits, this one {count}."),
                count=len(digits),
            )
        )
    if len(digits) > MOBILE_LENGTH:
        problems.append(
            _error(
                field,
                "phone.mobile_too_long",
                N_("This mobile number is too long: a mobile number has 11 digits, this one {count}."),
                count=len(digits),
            )
        )
    if len(digits) >= 2 and digits[1] not in "3456789":
        problems.append(
            _error(
                field,
                "phone.mobile_prefix",
                N_("Mobile numbers start with 13 to 19; {prefix} is not a mobile prefix."),
                prefix=digits[:2],
            )
        )
    if extension is not None:
        problems.append(_error(field, "phone.mobile_extension", N_("A mobile number has no extension.")))
    return problems


def _landline(digits: str, extension: str | None, field: str) -> PhoneCheck:
    allowed: tuple[int, ...]
    if digits.startswith(("010", "02")):
        area, allowed, expected = digits[:3], (8,), "8"
    elif re.match(r"0[3-9]", digits):
        area, allowed, expected = digits[:4], (7, 8), "7-8"
    else:
        return _refused(
            field,
            "phone.area_code",
            N_("{area} is not an area code: area codes are 010, 02x, or 0 and three digits (such as 0571)."),
            area=digits[:3],
        )
    subscriber = digits[len(area) :]
    if len(subscriber) not in allowed:
        return _refused(
            field,
            "phone.landline_length",
            N_("After the area code {area}, a landline number has {expected} digits; this one has {count}."),
            area=area,
            expected=expected,
            count=len(subscriber),
        )
    if subscriber[0] in "01":
        # 0 is the trunk prefix and 1 starts service numbers (110, 114): a local number starting
        # with either means the area code was mistyped ("0210-1234567" for "021-...").
        return _refused(
            field,
            "phone.landline_first_digit",
            N_("After the area code {area}, the number cannot start with {digit}: check the area code and the number."),
            area=area,
            digit=subscriber[0],
        )
    normalized = f"{area}-{subscriber}" + (f"-{extension}" if extension else "")
    return PhoneCheck(normalized, PhoneKind.LANDLINE, [])


def _error(field: str, code: str, template: str, **params: object) -> Problem:
    return Problem(code, template, params, Severity.ERROR, field)


def _refused(field: str, code: str, template: str, **params: object) -> PhoneCheck:
    return PhoneCheck(None, None, [_error(field, code, template, **params)])
