"""Settings and the set-up commands a newcomer runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from recommendations.models import User

ROOT = Path(__file__).resolve().parents[1]


def test_vietnamese_first():
    assert settings.LANGUAGE_CODE == "vi"
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert (ROOT / "recommendations/locale/vi/LC_MESSAGES/django.mo").exists()
    assert (ROOT / "recommendations/locale/en/LC_MESSAGES/django.mo").exists()


def check_deploy(tmp_path: Path, site_url: str | None) -> subprocess.CompletedProcess[str]:
    """``manage.py check --deploy`` with production settings, failing on warnings too."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "a-production-secret-" + "x" * 50,
        "ALLOWED_HOSTS": "tracker.example.org",
        "TRACKER_VAR_DIR": str(tmp_path),
    }
    env.pop("SITE_URL", None)
    if site_url is not None:
        env["SITE_URL"] = site_url
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = check_deploy(tmp_path, "https://tracker.example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "site_url", [None, "http://tracker.example.org", "https://127.0.0.1:8000", "https://localhost"]
)
def test_check_deploy_warns_when_email_links_would_not_reach_the_tracker(tmp_path, site_url):
    result = check_deploy(tmp_path, site_url)
    assert result.returncode != 0
    assert "recommendations.W001" in result.stderr + result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "", "TRACKER_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_first_admin_gets_a_generated_password_printed_once(capsys):
    call_command("ensure_first_admin")
    first = capsys.readouterr().out
    password = first.split("password: ")[1].split()[0]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(password)
    assert len(password) >= 16
    call_command("ensure_first_admin")
    second = capsys.readouterr().out
    assert "password:" not in second
    assert User.objects.filter(is_superuser=True).count() == 1


@pytest.mark.django_db
def test_first_admin_passwords_differ_between_machines(capsys):
    call_command("ensure_first_admin", username="one")
    one = capsys.readouterr().out.split("password: ")[1].split()[0]
    User.objects.all().delete()
    call_command("ensure_first_admin", username="two")
    two = capsys.readouterr().out.split("password: ")[1].split()[0]
    assert one != two


def _po_entries(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of a .po file, continuation lines joined; plural forms joined."""
    entries, current, field = [], {"msgid": "", "msgstr": ""}, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current["msgid"]:
                entries.append((current["msgid"], current["msgstr"]))
            current, field = {"msgid": "", "msgstr": ""}, None
        elif line.startswith(("msgid ", "msgid_plural ")):
            field = "msgid"
            current["msgid"] += line.split(" ", 1)[1].strip('"')
        elif line.startswith("msgstr"):
            field = "msgstr"
            current["msgstr"] += line.split(" ", 1)[1].strip('"')
        elif line.startswith('"') and field:
            current[field] += line.strip('"')
    return entries


def test_every_string_has_an_english_translation():
    entries = _po_entries(ROOT / "recommendations/locale/en/LC_MESSAGES/django.po")
    assert len(entries) > 200
    assert [msgid for msgid, msgstr in entries if not msgstr] == []
    assert (
        "#, fuzzy"
        not in (ROOT / "recommendations/locale/en/LC_MESSAGES/django.po").read_text().split('msgstr ""', 1)[1]
    )


def test_make_clean_keeps_the_embedded_data(tmp_path):
    (tmp_path / "Makefile").write_text((ROOT / "Makefile").read_text())
    kept = [tmp_path / "var" / "db.sqlite3", tmp_path / "var" / "media" / "evidence" / "a.pdf"]
    removed = [tmp_path / ".venv" / "bin" / "python", tmp_path / "recommendations" / "__pycache__" / "x.pyc"]
    for path in kept + removed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert [path.exists() for path in kept] == [True, True]
    assert [path.exists() for path in removed] == [False, False]
