"""What a browser submits for an admin change page: every field of the form and its inline
formsets with the values the page showed, so a test changes only what a user would."""


def _value(bound):
    value = bound.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return value[0] if value else ""
    return value


def page_form_data(response) -> dict:
    """The POST data of the change form `response` (a GET of the change page) rendered."""
    form = response.context["adminform"].form
    data = {name: _value(form[name]) for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name])
        for sub in formset.forms:
            for name in sub.fields:
                if name == "DELETE":
                    continue
                data[sub.add_prefix(name)] = _value(sub[name])
    return {key: value for key, value in data.items() if value != ""}


def without_row(data: dict, prefix: str, index: int) -> dict:
    """`data` with inline row `index` removed as the admin's remove link does (for rows the
    page showed as new), the rows after it renumbered."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    kept = {k: v for k, v in data.items() if not k.startswith(f"{prefix}-")}
    kept.update({k: v for k, v in data.items() if k.startswith(f"{prefix}-") and k.split("-")[1]
                 in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")})  # fmt: skip
    new = 0
    for i in range(total):
        if i == index:
            continue
        for key, value in data.items():
            if key.startswith(f"{prefix}-{i}-"):
                kept[f"{prefix}-{new}-{key.split('-', 2)[2]}"] = value
        new += 1
    kept[f"{prefix}-TOTAL_FORMS"] = total - 1
    return kept
