"""What a rule says when input is wrong or needs a second look.

A rule returns ``Problem`` values instead of raising strings: the code is for programs and tests,
the message is for people and is produced in the current language when it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from clinic_tui.i18n import _


class Severity(str, Enum):
    ERROR = "error"  # refused: the value cannot be saved as it is
    WARNING = "warning"  # accepted after the user confirms (e.g. ID and sex disagree)
    FLAG = "flag"  # accepted and highlighted (e.g. a real but alarming blood pressure)


@dataclass(frozen=True)
class Problem:
    code: str  # stable machine code, e.g. "id.checksum"
    template: str  # English message id with {placeholders}; translated when read
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = Severity.ERROR
    field: str | None = None  # the form field it concerns, when there is one

    @property
    def message(self) -> str:
        return _(self.template).format(**self.params)

    def __str__(self) -> str:
        return self.message


class DomainError(ValueError):
    """Raised by rules that refuse an action (an illegal referral move, say)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.template.format(**problem.params))
        self.problem = problem

    @property
    def message(self) -> str:
        return self.problem.message


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]
