"""Read the forms of a page as a browser would submit them (html.parser, no other library).

``page_forms(html)`` gives every form with its fields in document order; ``Form.data()`` is
the body a browser sends when the given submit button is pressed (unchecked boxes and
unpressed buttons left out, disabled fields left out, ``form="…"`` attributes honoured).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Submit:
    name: str
    value: str


@dataclass
class Form:
    id: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    submits: list[Submit] = field(default_factory=list)
    select_options: dict[str, list[str]] = field(default_factory=dict)
    checkbox_values: dict[str, list[str]] = field(default_factory=dict)  # checked or not

    def names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def value(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.fields if key == name), default)

    def data(self, submit: Submit | None = None) -> dict[str, list[str]]:
        body: dict[str, list[str]] = {}
        for name, value in self.fields:
            body.setdefault(name, []).append(value)
        if submit is not None and submit.name:
            body.setdefault(submit.name, []).append(submit.value)
        return body


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._by_id: dict[str, Form] = {}
        self._current: Form | None = None
        self._pending: list[tuple[str, dict]] = []  # fields naming a form not seen yet
        self._textarea: tuple[Form | None, str, list[str]] | None = None
        self._select: tuple[Form | None, str, bool, list[tuple[str, bool]]] | None = None
        self._option: list | None = None

    def _owner(self, attrs: dict) -> Form | None:
        if attrs.get("form"):
            return self._by_id.get(attrs["form"])
        return self._current

    def handle_starttag(self, tag, attrs_list):
        attrs = {key: (value if value is not None else "") for key, value in attrs_list}
        if tag == "form":
            form = Form(
                id=attrs.get("id", ""), action=attrs.get("action", ""), method=attrs.get("method", "get").lower()
            )
            self.forms.append(form)
            if form.id:
                self._by_id[form.id] = form
            self._current = form
            return
        if tag == "input":
            owner = self._owner(attrs)
            name = attrs.get("name")
            if owner is None or not name or "disabled" in attrs:
                return
            kind = attrs.get("type", "text").lower()
            value = attrs.get("value", "")
            if kind in ("submit", "image"):
                owner.submits.append(Submit(name, value))
            elif kind in ("checkbox", "radio"):
                owner.checkbox_values.setdefault(name, []).append(value or "on")
                if "checked" in attrs:
                    owner.fields.append((name, value or "on"))
            elif kind in ("file", "reset", "button"):
                return
            else:
                owner.fields.append((name, value))
        elif tag == "button":
            owner = self._owner(attrs)
            kind = attrs.get("type", "submit").lower()
            if owner is not None and kind == "submit" and "disabled" not in attrs:
                owner.submits.append(Submit(attrs.get("name", ""), attrs.get("value", "")))
        elif tag == "textarea":
            owner = self._owner(attrs)
            if attrs.get("name") and "disabled" not in attrs:
                self._textarea = (owner, attrs["name"], [])
        elif tag == "select":
            owner = self._owner(attrs)
            if attrs.get("name") and "disabled" not in attrs:
                self._select = (owner, attrs["name"], "multiple" in attrs, [])
        elif tag == "option" and self._select is not None:
            self._option = [attrs.get("value"), "selected" in attrs, []]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def _close_option(self):
        if self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[3].append((value if value is not None else "".join(text).strip(), selected))
        self._option = None

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "textarea" and self._textarea is not None:
            owner, name, parts = self._textarea
            text = "".join(parts)
            # A browser drops one newline right after <textarea>.
            if text.startswith("\n"):
                text = text[1:]
            if owner is not None:
                owner.fields.append((name, text))
            self._textarea = None
        elif tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            owner, name, multiple, options = self._select
            if owner is not None:
                owner.select_options[name] = [value for value, _selected in options]
                chosen = [value for value, selected in options if selected]
                if not chosen and options and not multiple:
                    chosen = [options[0][0]]
                owner.fields.extend((name, value) for value in chosen)
            self._select = None


def page_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def main_form(html: str) -> Form | None:
    """The page's own POST form: the admin's ``<model>_form`` / ``changelist-form``, else
    the largest POST form that is not the header's log-out form."""
    forms = [form for form in page_forms(html) if form.method == "post" and not form.action.endswith("/logout/")]
    for form in forms:
        if form.id.endswith("_form") or form.id == "changelist-form":
            return form
    return max(forms, key=lambda form: len(form.fields), default=None)
