"""The one command table: every command has a spec and an effect, and help, usage, config and permissions read it."""
import pytest

from handlers.commands import EFFECTS
from incidents.command_table import (
    ANYONE,
    BLOG,
    COMMANDER,
    COMMANDS,
    DESCRIPTION,
    MAINTAIN,
    NEEDED,
    RULES,
    SPECS,
    USAGE,
    WRITE,
    render_help,
)
from incidents.config import load_config


def test_every_command_has_an_effect_and_every_effect_a_spec():
    assert set(SPECS) == set(EFFECTS)


def test_the_table_is_in_help_order_and_names_each_command_once():
    assert tuple(spec.name for spec in SPECS.values()) == COMMANDS
    assert len(set(COMMANDS)) == len(COMMANDS)
    assert all(name == spec.name for name, spec in SPECS.items())


# --- usage and help ------------------------------------------------------------------------

def test_usage_and_description_for_every_command():
    assert set(USAGE) == set(DESCRIPTION) == set(COMMANDS)
    for name in COMMANDS:
        assert USAGE[name].startswith("{prefix}" + name)
        assert DESCRIPTION[name].strip()


@pytest.mark.parametrize("prefix", ["/", "/desk "])
def test_help_lists_every_command_with_the_prefix(prefix):
    text = render_help(prefix)
    lines = text.splitlines()
    assert len(lines) == len(COMMANDS)
    for line, name in zip(lines, COMMANDS, strict=True):
        assert line.startswith(f"- `{prefix}{name}") and DESCRIPTION[name] in line


def test_usage_lines_read_the_spec():
    assert SPECS["status"].usage() == "/status <investigating|identified|monitoring|resolved> [message]"
    assert SPECS["help"].usage("/desk ") == "/desk help"
    assert USAGE["close"].format(prefix="/") == SPECS["close"].usage("/")


# --- who may run a command -------------------------------------------------------------------

def test_every_command_has_a_permission_rule_that_says_what_it_needs():
    assert set(RULES) == set(COMMANDS)
    assert set(RULES.values()) <= {ANYONE, WRITE, COMMANDER, MAINTAIN, BLOG}
    assert set(NEEDED) == {WRITE, COMMANDER, MAINTAIN, BLOG}
    assert (RULES["help"], RULES["timeline"], RULES["status"], RULES["close"], RULES["blog"]) == \
        (ANYONE, WRITE, COMMANDER, MAINTAIN, BLOG)


def test_the_permission_check_reads_the_table():
    from worker import permissions

    assert permissions.RULES is RULES and permissions.NEEDED is NEEDED


# --- config validation -------------------------------------------------------------------------

def test_the_config_accepts_exactly_the_table_s_commands():
    lines = "\n".join(f"  {name}: {{allowed_users: [x]}}" for name in COMMANDS)
    config, errors = load_config("commands:\n" + lines)
    assert errors == [] and set(config.commands) == set(COMMANDS)
    _, errors = load_config("commands: {stauts: {allowed_users: [x]}}")
    assert [error.path for error in errors] == ["commands"] and ", ".join(COMMANDS) in errors[0].message
