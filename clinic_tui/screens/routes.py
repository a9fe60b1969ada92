"""Which screen shows a record, which form takes a draft back, and the app's modes.

Every screen module is imported only when it is first needed, so the first frame stays quick.
"""

from __future__ import annotations

from importlib import import_module

# form name -> (module, class) of its FormScreen.
FORMS = {
    "resident": ("clinic_tui.screens.resident_form", "ResidentFormScreen"),
    "visit": ("clinic_tui.screens.visit_form", "VisitFormScreen"),
    "followup": ("clinic_tui.screens.followup_form", "FollowupFormScreen"),
    "referral": ("clinic_tui.screens.referral_form", "ReferralFormScreen"),
    "contract": ("clinic_tui.screens.contract_form", "ContractFormScreen"),
    "remote": ("clinic_tui.screens.remote_form", "RemoteFormScreen"),
    "lab": ("clinic_tui.screens.lab_form", "LabFormScreen"),
    "exam": ("clinic_tui.screens.exam_form", "ExamFormScreen"),
}

# app mode -> (module, class) of its screen: each mode keeps its own screen stack.
MODE_SCREENS = {
    "dashboard": ("clinic_tui.screens.dashboard", "DashboardScreen"),
    "residents": ("clinic_tui.screens.residents", "ResidentsScreen"),
    "referrals": ("clinic_tui.screens.referrals", "ReferralsScreen"),
    "downward": ("clinic_tui.screens.downward", "DownwardInboxScreen"),
    "contracts": ("clinic_tui.screens.contracts", "ContractsScreen"),
    "remote": ("clinic_tui.screens.remote_requests", "RemoteRequestsScreen"),
    "lab": ("clinic_tui.screens.lab_orders", "LabOrdersScreen"),
    "exam": ("clinic_tui.screens.exam_list", "ExamBookingsScreen"),
    "sync": ("clinic_tui.screens.sync_screen", "SyncScreen"),
}

# sync kind -> (module, class) of the page that shows one record of it, made with its id.
RECORD_PAGES = {
    "resident": ("clinic_tui.screens.resident_page", "ResidentScreen"),
    "referral": ("clinic_tui.screens.referral_page", "ReferralScreen"),
    "contract": ("clinic_tui.screens.contract_page", "ContractScreen"),
    "remote_request": ("clinic_tui.screens.remote_page", "RemoteRequestScreen"),
    "lab_order": ("clinic_tui.screens.lab_page", "LabOrderScreen"),
    "exam_booking": ("clinic_tui.screens.exam_page", "ExamBookingScreen"),
}


def _load(where: tuple[str, str]):
    module, name = where
    return getattr(import_module(module), name)


def form_class(form: str):
    return _load(FORMS[form])


def mode_screen(mode: str):
    return _load(MODE_SCREENS[mode])()


def record_page(kind: str, record_id: str):
    """The page of a record of ``kind`` (one of RECORD_PAGES): how a form shows what it saved."""
    return _load(RECORD_PAGES[kind])(record_id)


def form_for_draft(draft):
    return form_class(draft.form)(record_id=draft.record_id, context=draft.context, draft=draft.data)


def screen_for(store, kind: str, record_id: str):
    """The screen for a record; records without a page of their own open their resident's page."""
    if kind in RECORD_PAGES:
        return record_page(kind, record_id)
    if kind in ("visit", "followup"):
        resident_id = store.residents.of_record(kind, record_id)
        # A past record is shown to be read: changing it is a deliberate step (F6), never a slip of
        # the keys meant for a new one.
        return form_class(kind)(record_id=record_id, context={"resident_id": resident_id}, read_only=True)
    resident_id = store.residents.of_record(kind, record_id)
    return _load(RECORD_PAGES["resident"])(resident_id) if resident_id else None


def remote_list(which: str):
    """The list of remote requests under one filter (data/remote_requests.FILTERS), e.g. "critical"."""
    return _load(MODE_SCREENS["remote"])(which)


def lab_list(which: str):
    """The list of lab orders under one filter (data/lab_orders.FILTERS), e.g. "critical"."""
    return _load(MODE_SCREENS["lab"])(which)
