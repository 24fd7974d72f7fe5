"""Reading the fields of a JSON object from a request body: keys ignore case, typos are named."""

from __future__ import annotations

import difflib

from smtp_connector.errors import FieldProblem

__all__ = ["read_fields", "shown_key"]


def shown_key(key: object) -> str:
    """A JSON key as it may appear in a field path: at most 100 characters, printable."""
    text = str(key)[:100]
    return text if text.isprintable() and text.strip() else repr(text)


def read_fields(
    obj: dict[object, object], names: dict[str, str], path: str, problems: list[FieldProblem]
) -> dict[str, object]:
    """``obj``'s values by canonical name (``names`` maps lowercased keys to it).

    Keys are case-insensitive; unknown keys (at most 10 reported) and a field given twice under
    two spellings are problems. ``path`` prefixes the field paths (``""`` at the top level).
    """
    fields: dict[str, object] = {}
    given: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in obj.items():
        name = names.get(key.lower()) if isinstance(key, str) else None
        if name is None:
            unknown.append(shown_key(key))
        elif name in given:
            message = f"{name} is given twice ({given[name]!r} and {key!r}); keys ignore case."
            problems.append(FieldProblem(path + name, message))
        else:
            given[name] = str(key)
            fields[name] = value
    for key in unknown[:10]:
        close = difflib.get_close_matches(key.lower(), names, n=1)
        hint = f"; did you mean {names[close[0]]!r}?" if close else "."
        problems.append(FieldProblem(path + key, f"Unknown field {key!r}{hint}"))
    if len(unknown) > 10:
        problems.append(FieldProblem(path.rstrip(".") or "body", "More unknown fields were given."))
    return fields
