"""`incident-desk check` and `incident-desk install-templates`: the incident document on the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from checks import run_checks
from incidents.document import parse_document
from incidents.profiles import Profile, UnknownProfile, get_profile
from incidents.timezones import is_zone
from issue_templates.render import PLATFORMS, postmortem_skeleton
from issue_templates.render import install_templates as write_templates

if TYPE_CHECKING:
    from incidents.config_model import RepoConfig

USAGE_ERROR = 2

CANNOT_READ = "cannot read {path}: {reason}"
CANNOT_WRITE = "cannot write to {path}: {reason}"
BAD_TIMEZONE = "unknown timezone {name!r}: use an IANA name such as America/Bogota or UTC"
BAD_CONFIG = "{path}: {error}"


def _fail(message: str) -> None:
    """Print a one-line usage error and exit with status 2."""
    click.echo(f"incident-desk: {message}", err=True)
    sys.exit(USAGE_ERROR)


def _read(path: str) -> str:
    try:
        if path == "-":
            return click.get_binary_stream("stdin").read().decode("utf-8", errors="replace")
        return Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        _fail(CANNOT_READ.format(path=path, reason=error.strerror or error))
        raise  # unreachable: _fail exits


def _config(path: str | None) -> RepoConfig | None:
    """The config from --config (None without one), failing the command when the file cannot be used.

    The config loader (YAML and marshmallow, a third of `check`'s start-up) is imported only for a file:
    without one the checks run with no config, which reads as the defaults (tests/unit/test_check_command_config.py).
    """
    if path is None:
        return None
    from incidents.config import load_config

    config, errors = load_config(_read(path))
    if errors:
        for error in errors:
            click.echo(f"incident-desk: {BAD_CONFIG.format(path=path, error=error)}", err=True)
        sys.exit(USAGE_ERROR)
    return config


def _profile(name: str | None, config: RepoConfig | None) -> Profile:
    try:
        if config is None:
            return get_profile(name)
        return get_profile(name or config.profile, config.profiles)
    except UnknownProfile as error:
        _fail(str(error))


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    if not is_zone(name):
        _fail(BAD_TIMEZONE.format(name=name))
    return name


@click.command("check")
@click.argument("files", nargs=-1, required=True)
@click.option("--profile", help="Postmortem profile (default: the config's, else timeline-rca-actions).")
@click.option("--timezone", help="IANA timezone for timeline times without an offset (default: the config's).")
@click.option("--config", "config_path", help="Repository config file (incident-desk.yml).")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--history", "history_path",
              help="Past incidents (`incident-desk export`, CSV or JSON): warn when the Recurrence section names "
                   "none of the similar ones.")
def check(files: tuple[str, ...], profile: str | None, timezone: str | None, config_path: str | None,
          output: str, history_path: str | None) -> None:
    """Check incident postmortems kept as Markdown files. Exit 1 when any has an error."""
    config = _config(config_path)
    history = _history(history_path)
    chosen = _profile(profile, config)
    zone = _timezone(timezone) or (config.timezone if config is not None else None)
    texts = [(path, _read(path)) for path in files]  # read all first: a missing file is a usage error
    skeleton = postmortem_skeleton(chosen)
    results = []
    for path, text in texts:
        document = parse_document(text, chosen, zone, skeleton=skeleton)
        results.append((path, run_checks(document, chosen, config, similar_in_history(document, history))))

    if output == "json":
        click.echo(json.dumps(
            [{"file": path, "findings": [f.as_dict() for f in findings]} for path, findings in results],
            indent=2))
    else:
        for path, findings in results:
            for f in findings:
                click.echo(f"{path}:{f.line or 1}: {f.severity} {f.code} {f.message}")
    failed = any(f.severity == "error" for _path, findings in results for f in findings)
    sys.exit(1 if failed else 0)


def _history(path: str | None) -> list:
    """The past incidents of --history (none without it); a file that is not an export is a usage error."""
    if path is None:
        return []
    from incident_desk.cli.history import NotAnExport, read_history

    try:
        return read_history(_read(path), path)
    except NotAnExport as error:
        _fail(str(error))
        raise  # unreachable: _fail exits


def similar_in_history(document, history: list) -> tuple:
    """The past incidents of the history most like the document (its taxonomy, components and root cause)."""
    if not history:
        return ()
    from incidents.lifecycle import declared_in_form
    from incidents.similar import Subject, find_similar

    subject = Subject(title="", taxonomy=document.taxonomy.terms if document.taxonomy else (),
                      components=declared_in_form(document)[1], root_cause=document.root_cause)
    return find_similar(subject, history)


@click.command("install-templates")
@click.option("--platform", type=click.Choice(PLATFORMS), required=True)
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The repository checkout to write the templates into.")
@click.option("--profile", help="Postmortem profile (default: the config's, else timeline-rca-actions).")
@click.option("--config", "config_path",
              help="Repository config for components and profile (default: the platform's file under DEST, if any).")
def install_templates(platform: str, dest: Path, profile: str | None, config_path: str | None) -> None:
    """Write the incident issue template and the postmortem template into a repository."""
    from forges import forge_class  # here: `check` has no use for the forge adapters

    if config_path is None and (dest / forge_class(platform).config_path).is_file():
        config_path = str(dest / forge_class(platform).config_path)
    from incidents.config import DEFAULT_CONFIG

    config = _config(config_path) or DEFAULT_CONFIG
    chosen = _profile(profile, config)
    try:
        written = write_templates(platform, dest, chosen, config.components, config.labels.incident,
                                  config.labels.maintenance)
    except OSError as error:
        _fail(CANNOT_WRITE.format(path=dest, reason=error.strerror or error))
    for path in written:
        click.echo(str(path))
