"""Vietnamese everywhere: every message the code and templates use is translated in locale/vi.

The check regenerates the catalogue the way a translator does (into a copy, so
the tree is untouched) and fails on any message left untranslated or fuzzy, so
a new English string cannot reach the Vietnamese interface unnoticed. The
committed .mo must be the compiled .po (Django reads only the .mo).

Update the catalogue, translate, compile (Debian's `gettext` package is needed):

    python manage.py makemessages -l vi -l en --no-location --no-obsolete --ignore 'var/*'
    python manage.py compilemessages --ignore '.venv'
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

BASE_DIR = Path(settings.BASE_DIR)
VI_PO = BASE_DIR / "locale" / "vi" / "LC_MESSAGES" / "django.po"
VI_MO = VI_PO.with_suffix(".mo")


def _need_gettext_tools():
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"GNU gettext is needed to check the translations ({', '.join(missing)} missing): apt-get install gettext"
        )


def _unquote(line: str) -> str:
    return line[line.index('"') + 1 : line.rindex('"')].encode("latin-1", "backslashreplace").decode("unicode_escape")


def po_entries(path: Path) -> list[dict]:
    """The live entries of a .po file: msgid, translations (one per plural form) and flags.

    A small reader for the subset `makemessages` writes; obsolete (#~) entries
    and the header are left out.
    """
    entries, current, field = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current is not None and current["msgid"]:
                entries.append(current)
            current, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = {"msgid": "", "msgid_plural": None, "msgstr": {}, "flags": set()}
        if line.startswith("#,"):
            current["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            field, current["msgid_plural"] = "msgid_plural", _unquote(line)
        elif line.startswith("msgid "):
            field, current["msgid"] = "msgid", _unquote(line)
        elif line.startswith("msgstr"):
            index = int(re.match(r"msgstr(?:\[(\d+)\])?", line).group(1) or 0)
            field = index
            current["msgstr"][index] = _unquote(line)
        elif line.startswith('"') and field is not None:
            if isinstance(field, int):
                current["msgstr"][field] += _unquote(line)
            else:
                current[field] += _unquote(line)
    return entries


def problems(entries: list[dict]) -> list[str]:
    found = []
    for entry in entries:
        shown = entry["msgid"] if len(entry["msgid"]) < 90 else entry["msgid"][:87] + "..."
        if "fuzzy" in entry["flags"]:
            found.append(f"fuzzy: {shown!r}")
        elif not entry["msgstr"] or any(not text for text in entry["msgstr"].values()):
            found.append(f"untranslated: {shown!r}")
    return found


@pytest.fixture
def fresh_catalogue(tmp_path, settings, monkeypatch):
    """locale/vi as `makemessages` makes it from today's code, in a temporary copy of the sources.

    makemessages writes each file's messages into the locale folder above it,
    so it runs in a copy (code, templates, the catalogue): the tree is never touched.
    """
    _need_gettext_tools()
    copy = tmp_path / "src"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(".venv", ".git", "var", "node_modules", "__pycache__", "*.mo", ".pytest_cache"),
    )
    settings.LOCALE_PATHS = [copy / "locale"]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["vi"], no_location=True, ignore_patterns=["var/*"], verbosity=0)
    return copy / "locale" / "vi" / "LC_MESSAGES" / "django.po"


def test_every_message_of_the_code_is_translated_into_vietnamese(fresh_catalogue):
    entries = po_entries(fresh_catalogue)
    assert len(entries) > 500  # the whole portal was read, not an empty folder
    left = problems(entries)
    assert not left, (
        f"{len(left)} message(s) of locale/vi are untranslated or fuzzy (run makemessages, translate, "
        "compilemessages):\n" + "\n".join(left)
    )


def test_the_committed_catalogue_has_no_untranslated_or_fuzzy_message():
    left = problems(po_entries(VI_PO))
    assert not left, "\n".join(left)


def test_the_reader_catches_what_a_translator_leaves(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Done"\nmsgstr "Xong"\n\n'
        '#, fuzzy\nmsgid "Password"\nmsgstr "Mật mã"\n\n'
        'msgid "Sign In"\nmsgstr ""\n\n'
        '#, python-format\nmsgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n',
        encoding="utf-8",
    )
    assert problems(po_entries(po)) == ["fuzzy: 'Password'", "untranslated: 'Sign In'", "untranslated: '%(n)s day'"]


def test_the_committed_mo_is_the_compiled_po(tmp_path):
    """Django reads the .mo: a .po edited but not compiled leaves the interface in English."""
    _need_gettext_tools()
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(VI_PO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    with compiled.open("rb") as fresh, VI_MO.open("rb") as committed:
        fresh_catalog = gettext.GNUTranslations(fresh)._catalog
        committed_catalog = gettext.GNUTranslations(committed)._catalog
    stale = sorted(str(key) for key in set(fresh_catalog.items()) ^ set(committed_catalog.items()))
    assert not stale, "locale/vi: run `manage.py compilemessages` (the .mo differs from the .po):\n" + "\n".join(
        stale[:20]
    )


@pytest.mark.parametrize(
    ("count", "english", "vietnamese"),
    [(1, "1 working day", "1 ngày làm việc"), (3, "3 working days", "3 ngày làm việc")],
)
def test_plurals_read_right_in_both_languages(count, english, vietnamese):
    from django.utils.translation import ngettext

    with translation.override("en"):
        assert ngettext("%(count)s working day", "%(count)s working days", count) % {"count": count} == english
    with translation.override("vi"):
        assert ngettext("%(count)s working day", "%(count)s working days", count) % {"count": count} == vietnamese
