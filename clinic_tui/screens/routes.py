"""Which screen shows a record, and which form takes a draft back."""

from __future__ import annotations

from importlib import import_module

# form name -> (module, class) of its FormScreen; each form module is imported only when needed.
FORMS = {
    "resident": ("clinic_tui.screens.resident_form", "ResidentFormScreen"),
    "visit": ("clinic_tui.screens.visit_form", "VisitFormScreen"),
    "followup": ("clinic_tui.screens.followup_form", "FollowupFormScreen"),
}


def form_class(form: str):
    module, name = FORMS[form]
    return getattr(import_module(module), name)


def form_for_draft(draft):
    return form_class(draft.form)(record_id=draft.record_id, context=draft.context, draft=draft.data)


def screen_for(store, kind: str, record_id: str):
    """The screen for a record; records without a page of their own open their resident's page."""
    from clinic_tui.screens.resident_page import ResidentScreen

    if kind == "resident":
        return ResidentScreen(record_id)
    if kind in ("visit", "followup"):
        return form_class(kind)(record_id=record_id, context={"resident_id": store.resident_of(kind, record_id)})
    resident_id = store.resident_of(kind, record_id)
    return ResidentScreen(resident_id) if resident_id else None
