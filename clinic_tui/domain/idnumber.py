"""Citizen ID numbers (居民身份证号码, GB 11643-1999).

An 18-character number is: a 6-digit address code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence (odd for men, even for women) and a check character computed from the first 17 digits.
Legacy 15-digit numbers (YYMMDD birth date, no check character) are upgraded the standard way:
insert "19" before the year and append the computed check character.

The address code is never checked: codes of abolished or renamed counties stay valid for life.
Wrong input gives one ``Problem`` per way it is wrong, with its own code; a conflict with the sex
or birth date entered on the form is only a warning (``compare_with_entered``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from clinic_tui.domain.codes import SEX_FEMALE, SEX_MALE
from clinic_tui.domain.problems import Problem, Severity
from clinic_tui.i18n import N_

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum of the first 17 digits mod 11
EARLIEST_BIRTH_YEAR = 1900  # nobody born earlier is alive to register: such a date is a typo
FIELD = "id_number"


@dataclass(frozen=True)
class IdCheck:
    """What ``validate_citizen_id`` found. ``normalized``, ``birth_date`` and ``sex`` are None
    whenever there is an error, so an unusable number can never be stored by mistake."""

    normalized: str | None  # 18 characters, upper-case X
    birth_date: date | None
    sex: str | None  # GB/T 2261.1 code: "1" male, "2" female
    upgraded_from_15: bool
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return all(problem.severity is not Severity.ERROR for problem in self.problems)


def check_character(first17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") of the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"need exactly 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def validate_citizen_id(text: str, today: date | None = None) -> IdCheck:
    """Check a citizen ID number as typed, upgrading a legacy 15-digit one."""
    today = today or date.today()
    # NFKC turns full-width digits and Ｘ from Chinese input methods into ASCII; inner spaces
    # come from numbers copied in groups ("110105 19491231 002X").
    number = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if not number:
        return _refused(
            _problem(
                "id.empty",
                N_("Enter the citizen ID number; for a resident without one, choose another document type."),
            )
        )

    shape_problems = _shape_problems(number)
    if shape_problems:
        return _refused(*shape_problems)

    problems: list[Problem] = []
    upgraded = len(number) == 15
    if upgraded:
        body = number[:6] + "19" + number[6:]
        number = body + check_character(body)
        problems.append(
            _problem(
                "id.upgraded",
                N_(
                    "The old 15-digit ID number was converted to 18 digits: check the new number "
                    "against the resident's current ID card."
                ),
                severity=Severity.WARNING,
            )
        )

    birth_date, birth_problems = _birth_date(number[6:14], today)
    problems += birth_problems
    if number[17] != check_character(number[:17]):
        # Deliberately no hint at the right character: it would invite typing it in, turning a
        # typo anywhere in the number into a "valid" number of somebody else.
        problems.append(
            _problem(
                "id.checksum",
                N_(
                    "The ID number has a typo: its last character does not match the other "
                    "digits. Check it against the ID card."
                ),
            )
        )
    if any(problem.severity is Severity.ERROR for problem in problems):
        return _refused(*problems, upgraded=upgraded)
    sex = SEX_MALE if int(number[16]) % 2 == 1 else SEX_FEMALE
    return IdCheck(number, birth_date, sex, upgraded, problems)


def compare_with_entered(check: IdCheck, sex_code: str | None, birth_date: date | None) -> list[Problem]:
    """Warnings when the sex or birth date entered on the form disagree with a valid ID number.

    Only a warning: the form may be right and the card wrong (registration errors happen), so
    the user confirms. Sex codes 0 and 9 (unknown, not stated) do not conflict with anything.
    """
    if not check.ok:
        return []
    assert check.birth_date is not None  # a valid number has one
    problems = []
    if sex_code in (SEX_MALE, SEX_FEMALE) and sex_code != check.sex:
        template = (
            N_("The ID number belongs to a man, but the sex entered is female: please confirm.")
            if check.sex == SEX_MALE
            else N_("The ID number belongs to a woman, but the sex entered is male: please confirm.")
        )
        problems.append(Problem("id.sex_mismatch", template, {}, Severity.WARNING, "sex"))
    if birth_date is not None and birth_date != check.birth_date:
        problems.append(
            Problem(
                "id.birth_date_mismatch",
                N_(
                    "The birth date entered, {entered}, differs from the one in the ID number, "
                    "{from_id}: please confirm."
                ),
                {"entered": birth_date.isoformat(), "from_id": check.birth_date.isoformat()},
                Severity.WARNING,
                "birth_date",
            )
        )
    return problems


def mask_citizen_id(number: str) -> str:
    """Hide the middle of an ID number for logs and lists: 11010519491231002X -> 1101**********002X.

    Numbers of 8 characters or fewer are hidden completely: showing 4 + 4 would show all of it.
    """
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def _shape_problems(number: str) -> list[Problem]:
    """Problems with the characters and length; the rest of the checks need a clean shape."""
    problems = []
    for position, character in enumerate(number, start=1):
        if character == "X" and position != 18:
            problems.append(
                _problem(
                    "id.x_not_last",
                    N_("X can only be the last (18th) character, but it is at position {position}."),
                    position=position,
                )
            )
            break
        if character != "X" and not (character.isascii() and character.isdigit()):
            problems.append(
                _problem(
                    "id.character",
                    N_(
                        "“{character}” at position {position} is not allowed: an ID "
                        "number has only digits, and X as the last character."
                    ),
                    character=character,
                    position=position,
                )
            )
            break
    if len(number) not in (15, 18):
        problems.append(
            _problem(
                "id.length",
                N_("A citizen ID number has 18 characters (old ones have 15); this one has {count}."),
                count=len(number),
            )
        )
    return problems


def _birth_date(digits: str, today: date) -> tuple[date | None, list[Problem]]:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None, [
            _problem(
                "id.birth_date_invalid",
                N_("The birth date in the ID number, {digits}, is not a real date."),
                digits=digits,
            )
        ]
    if born > today:
        return None, [
            _problem(
                "id.birth_date_future",
                N_("The birth date in the ID number, {birth_date}, is in the future."),
                birth_date=born.isoformat(),
            )
        ]
    if born.year < EARLIEST_BIRTH_YEAR:
        return None, [
            _problem(
                "id.birth_date_too_early",
                N_("The birth date in the ID number, {birth_date}, is before {earliest}: check the number."),
                birth_date=born.isoformat(),
                earliest=EARLIEST_BIRTH_YEAR,
            )
        ]
    return born, []


def _problem(code: str, template: str, severity: Severity = Severity.ERROR, **params: object) -> Problem:
    return Problem(code, template, params, severity, FIELD)


def _refused(*problems: Problem, upgraded: bool = False) -> IdCheck:
    return IdCheck(None, None, None, upgraded, list(problems))
