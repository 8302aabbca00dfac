"""`incident-desk check` without --config runs with no config at all: that must read as the default config.

The command skips loading the config modules (YAML, marshmallow) when no file is given, so the defaults it
then relies on (profile, timezone, actions settings, taxonomy terms) must be the ones DEFAULT_CONFIG holds.
"""
import subprocess
import sys
from pathlib import Path

import pytest

from checks import run_checks
from checks.rules import effective_profile
from incidents.config import DEFAULT_CONFIG
from incidents.document import parse_document
from incidents.profiles import DEFAULT_PROFILE, PROFILES, get_profile
from incidents.taxonomy import known_terms

ROOT = Path(__file__).parent.parent.parent
DOCUMENTS = ROOT / "tests" / "documents"


def test_default_config_is_what_no_config_means():
    assert DEFAULT_CONFIG.profile == DEFAULT_PROFILE
    assert get_profile(DEFAULT_CONFIG.profile, DEFAULT_CONFIG.profiles) == get_profile(None)
    assert DEFAULT_CONFIG.timezone is None
    assert DEFAULT_CONFIG.taxonomy_terms() == known_terms()
    for profile in PROFILES.values():
        assert effective_profile(profile, DEFAULT_CONFIG) == profile


@pytest.mark.parametrize("path", sorted(DOCUMENTS.glob("*.md")), ids=lambda p: p.name)
def test_findings_are_the_same_with_the_default_config_and_with_none(path):
    profile = get_profile(None)
    document = parse_document(path.read_text(encoding="utf-8"), profile, None)
    assert run_checks(document, profile, None) == run_checks(document, profile, DEFAULT_CONFIG)


def test_check_without_config_imports_no_config_loader(tmp_path):
    script = (
        "import sys\n"
        "from incident_desk.cli import main\n"
        "sys.argv = ['incident-desk', 'check', sys.argv[1]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = ('marshmallow', 'incidents.config', 'sqlalchemy', 'jinja2', 'yaml')\n"
        "print(sorted(m for m in loaded if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(DOCUMENTS / "filled-full.md")], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
