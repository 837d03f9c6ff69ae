"""Reading gettext ``.po`` files in tests: Django's catalogues and ours."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

# (msgctxt, msgid) → (msgid_plural, msgstrs)
Catalogue = dict[tuple[str | None, str], tuple[str | None, list[str]]]


def read_po(path: Path) -> Catalogue:
    """The entries of a ``.po`` file, contexts and plurals included, obsolete ones (``#~``) not."""
    entries: Catalogue = {}
    parts: dict[str, str] = {}
    key: str | None = None

    def keep() -> None:
        if parts.get("msgid"):
            msgstrs = [parts[k] for k in sorted(parts) if k.startswith("msgstr")]
            entries[(parts.get("msgctxt"), parts["msgid"])] = (parts.get("msgid_plural"), msgstrs)

    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgctxt ", "msgid ")) and (key is None or key.startswith("msgstr")):
            keep()
            parts = {}
        if line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr")):
            key, _space, line = line.partition(" ")
            parts[key] = ""
        if key is not None and line.startswith('"'):
            parts[key] += ast.literal_eval(line)
    keep()
    return entries


def ngettext_pairs(module: ModuleType) -> set[tuple[str, str]]:
    """The (singular, plural) of each ``ngettext_lazy`` in ``module``'s source: what makemessages
    reads as a plural."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    return {
        (node.args[0].value, node.args[1].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "ngettext_lazy"
        and all(isinstance(arg, ast.Constant) for arg in node.args[:2])
    }
