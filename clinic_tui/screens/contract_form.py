"""Signing (新签) or renewing (续签) a family-doctor contract for one resident.

The form opens filled in: the resident's key populations (derived from the record), the basic
package and one for each population, a one-year period, the fee and its usual split. Ticking a
package updates the total and the self-paid part; the parts must still add up to the total, and
both signatures must be confirmed. ``context`` holds ``resident_id``, or ``renew_of`` (a contract
id) for a renewal, which starts the day after the previous period.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from textual import on
from textual.widgets import Input, Static

from clinic_tui import clock
from clinic_tui.domain.codes import KEY_POPULATION, SERVICE_MODE, CodeList, CodeSet
from clinic_tui.domain.contract import default_period
from clinic_tui.domain.problems import Problem
from clinic_tui.i18n import N_, _
from clinic_tui.messages import DataChanged
from clinic_tui.screens.form_base import FormScreen
from clinic_tui.screens.visit_form import YES_NO
from clinic_tui.widgets.form import FieldSpec, show
from clinic_tui.widgets.package_picker import PackagePicker

if TYPE_CHECKING:
    from clinic_tui.data.contract_service import PackageChoice, Prefill

SERVICE_MODES = CodeList(SERVICE_MODE, (("1", "clinic"), ("2", "home"), ("3", "phone"), ("4", "online")))
PACKAGES = "package_codes"
_FEE_PARTS = ("fee_insurance_fen", "fee_public_health_fen")


def package_codes(text: str) -> list[str]:
    """The package codes typed in the field, upper-cased, each once, in the order typed."""
    seen: list[str] = []
    for word in text.replace(",", " ").replace("，", " ").replace("、", " ").upper().split():
        if word not in seen:
            seen.append(word)
    return seen


def check_service_modes(text: str, _values: Any) -> list[Problem]:
    unknown = SERVICE_MODES.parse(text)[1]
    if unknown:
        return [
            Problem(
                "contract.service_mode_unknown",
                N_("Not a service mode: {words}."),
                {"words": " ".join(unknown)},
                field="service_modes",
            )
        ]
    return []


class ContractFormScreen(FormScreen):
    form_name = "contract"

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.renew_of: str | None = self.context.get("renew_of")
        self.title_text = N_("Renew a contract") if self.renew_of else N_("Sign a contract")
        self._prefill: Prefill | None = None
        self._packages: list[PackageChoice] | None = None
        self._teams: list | None = None
        self._start_shown: date | None = None  # the start the end date was last computed from

    # --- what the form is about --------------------------------------------------------------

    @property
    def prefilled(self) -> Prefill:
        if self._prefill is None:
            self._prefill = self.clinic_store.contracts.prefill(
                today=clock.today(), resident_id=self.context.get("resident_id"), renew_of=self.renew_of
            )
        return self._prefill

    @property
    def package_choices(self) -> list[PackageChoice]:
        if self._packages is None:
            self._packages = self.clinic_store.contracts.packages()
        return self._packages

    @property
    def team_codes(self) -> CodeSet:
        if self._teams is None:
            self._teams = self.clinic_store.contracts.teams()
        return CodeSet("team", tuple((str(n), team.name) for n, team in enumerate(self._teams, 1)))

    def context_key(self) -> str:
        return self.renew_of or self.context.get("resident_id", "")

    def draft_title(self) -> str:
        return f"{_(self.title_text)} {self.prefilled.resident_name}"

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("team", N_("Team"), "choice", required=True, choices=self.team_codes),
            FieldSpec(
                PACKAGES, N_("Packages"), required=True, hint=N_("codes, or tick below"), check=self._check_packages
            ),
            FieldSpec("service_modes", N_("Service mode"), hint=SERVICE_MODES.hint(), check=check_service_modes),
            FieldSpec("signed_date", N_("Signed on"), "date", required=True),
            FieldSpec("start_date", N_("Starts"), "date", required=True),
            FieldSpec("end_date", N_("Ends"), "date", required=True, hint=N_("one year by default")),
            FieldSpec("fee_total_fen", N_("Fee (yuan)"), "money", required=True),
            FieldSpec("fee_insurance_fen", N_("By insurance"), "money", required=True),
            FieldSpec("fee_public_health_fen", N_("Public funds"), "money", required=True),
            FieldSpec("fee_self_fen", N_("Self-paid"), "money", required=True),
            FieldSpec("resident_signed", N_("Res. signed"), "choice", required=True, choices=YES_NO),
            FieldSpec("doctor_signed", N_("Doc. signed"), "choice", required=True, choices=YES_NO),
        ]

    def _check_packages(self, text: str, _values: Any) -> list[Problem]:
        known = {p.code for p in self.package_choices}
        unknown = [code for code in package_codes(text) if code not in known]
        if unknown:
            return [
                Problem(
                    "contract.package_unknown",
                    N_("Unknown service package: {codes}."),
                    {"codes": " ".join(unknown)},
                    field=PACKAGES,
                )
            ]
        return []

    # --- layout and the package picker --------------------------------------------------------

    def on_mount(self) -> None:
        # Before FormScreen.on_mount loads the values, so the picker is there to show them.
        facts = self.prefilled
        populations = _(", ").join(KEY_POPULATION.label(p) for p in facts.populations) or _("none")
        title = f"{_(self.title_text)} · {facts.resident_name} · " + _("Key populations: {populations}").format(
            populations=populations
        )
        self.query_one(".form-title", Static).update(title)
        self.form.mount(PackagePicker(self.package_choices, id="package-picker"), after=self.form.row(PACKAGES))
        self.call_after_refresh(self.form.check_field, "team")  # the team's name beside its number

    @property
    def picker(self) -> PackagePicker:
        return self.query_one(PackagePicker)

    @on(PackagePicker.Picked)
    def _picked(self, event: PackagePicker.Picked) -> None:
        self.form.input(PACKAGES).value = " ".join(event.codes)

    @on(Input.Changed, f"#field-{PACKAGES}")
    def _packages_typed(self, event: Input.Changed) -> None:
        codes = package_codes(event.value)
        self.picker.set_chosen(codes)
        if not self.form.loading_values:  # the doctor changed the packages: the fee follows
            self._fee_follows(codes)

    def _fee_follows(self, codes: list[str]) -> None:
        from clinic_tui.widgets.form import parse

        prices = {p.code: p.price_fen for p in self.package_choices}
        total = sum(prices.get(code, 0) for code in codes)
        specs = {s.name: s for s in self.form.specs}
        parts = [parse(specs[name], self.form.input(name).value).value or 0 for name in _FEE_PARTS]
        self.form.input("fee_total_fen").value = show(specs["fee_total_fen"], total)
        self.form.input("fee_self_fen").value = show(specs["fee_self_fen"], max(0, total - sum(parts)))

    @on(Input.Blurred, "#field-start_date")
    def _end_follows_start(self) -> None:
        """A changed start moves an empty or untouched one-year end with it."""
        from clinic_tui.widgets.form import parse

        specs = {s.name: s for s in self.form.specs}
        start = parse(specs["start_date"], self.form.input("start_date").value).value
        end_field = self.form.input("end_date")
        end = parse(specs["end_date"], end_field.value).value
        untouched = self._start_shown is not None and end == default_period(self._start_shown).end
        if start is not None and (end is None or untouched):
            end_field.value = default_period(start).end.isoformat()
        self._start_shown = start

    # --- values --------------------------------------------------------------------------------

    def load_initial(self) -> dict[str, Any]:
        values = dict(self.prefilled.values)
        team_ids = [team.id for team in self._teams or []]
        self._start_shown = values["start_date"]
        return values | {
            "team": str(team_ids.index(values["team_id"]) + 1) if values["team_id"] in team_ids else None,
            PACKAGES: " ".join(values[PACKAGES]),
            "service_modes": SERVICE_MODES.show(values["service_modes"]),
            "resident_signed": "1" if values["resident_signed"] else None,
            "doctor_signed": "1" if values["doctor_signed"] else None,
        }

    def _record_values(self, values: dict[str, Any]) -> dict[str, Any]:
        team = int(values["team"]) - 1 if values["team"] else None
        team_id = None
        if team is not None:
            assert self._teams is not None  # read with the team choices the number came from
            team_id = self._teams[team].id
        same = (
            "signed_date",
            "start_date",
            "end_date",
            "fee_total_fen",
            "fee_insurance_fen",
            "fee_public_health_fen",
            "fee_self_fen",
        )
        return {name: values[name] for name in same} | {
            "team_id": team_id,
            PACKAGES: package_codes(values[PACKAGES] or ""),
            "service_modes": SERVICE_MODES.parse(values["service_modes"] or "")[0],
            "resident_signed": values["resident_signed"] == "1",
            "doctor_signed": values["doctor_signed"] == "1",
        }

    def extra_problems(self, values: dict[str, Any]) -> list[Problem]:
        return self.clinic_store.contracts.check(
            self.prefilled.resident_id, self._record_values(values), renew_of=self.renew_of
        )

    def save(self, values: dict[str, Any]) -> str:
        return self.clinic_store.contracts.sign(
            resident_id=self.prefilled.resident_id,
            values=self._record_values(values),
            user_id=self.clinic_app.user_id,
            today=clock.today(),
            renew_of=self.renew_of,
        )

    def after_save(self, record_id: str) -> None:
        from clinic_tui.screens.routes import record_page

        self.app.post_message(DataChanged())
        self.app.notify(_("Contract signed."), timeout=3)
        self.app.switch_screen(record_page("contract", record_id))
