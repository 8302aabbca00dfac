"""The per-repository config file (`.github/incident-desk.yml` / `.gitlab/incident-desk.yml`): loading.

Loading never fails: a bad key becomes a ConfigError naming it, and that key's default applies.
The model is in incidents/config_model.py, the schema (every key, its default and description) in
incidents/config_schema.py; their public names are importable from here too.
Pure: the caller reads the file; this module only looks at the text.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from marshmallow import ValidationError

from incidents.config_model import (
    RepoConfig,
)
from incidents.config_schema import RepoConfigSchema

INVALID_YAML = "The file is not valid YAML: {error}"
NOT_A_MAPPING = "The file must be a mapping of keys to values, not {kind}."


@dataclass(frozen=True)
class ConfigError:
    """One problem in the config file: where, what was written, and what is wrong."""

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        where = f"`{self.path}`" if self.path else "The config file"
        if self.value is None:
            return f"{where}: {self.message}"
        value = repr(self.value)
        value = value if len(value) <= 80 else value[:79] + "…"
        return f"{where}: {self.message} (got {value})"


DEFAULT_CONFIG: RepoConfig = RepoConfigSchema().load({})


def load_config(yaml_text: str | None) -> tuple[RepoConfig, list[ConfigError]]:
    """The config from a file's text, and its problems; bad keys fall back to their defaults."""
    if yaml_text is None or not yaml_text.strip():
        return DEFAULT_CONFIG, []
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        return DEFAULT_CONFIG, [ConfigError("", None, INVALID_YAML.format(error=_one_line(error)))]
    except RecursionError:
        return DEFAULT_CONFIG, [ConfigError("", None, INVALID_YAML.format(error="nested too deeply"))]
    if data is None:
        return DEFAULT_CONFIG, []
    if not isinstance(data, dict):
        return DEFAULT_CONFIG, [ConfigError("", None, NOT_A_MAPPING.format(kind=type(data).__name__))]
    return load_config_data(data)


def load_config_data(data: Mapping[str, Any]) -> tuple[RepoConfig, list[ConfigError]]:
    """Validate already-parsed config data; see load_config."""
    schema = RepoConfigSchema()
    data = copy.deepcopy(dict(data))
    try:
        return schema.load(data), []
    except ValidationError as error:
        problems = list(_flatten(error.messages, data, []))
    # Drop exactly the bad values and try again; if that is not enough, drop their whole keys.
    pruned = copy.deepcopy(data)
    for path in dict.fromkeys(tuple(path) for path, _value, _message in problems):  # once: a Dict's key and
        _delete(pruned, list(path))  # value both bad are one entry, and a second delete would take its parent
    pruned = _compact(pruned)
    bad_keys = {path[0] for path, _value, _message in problems if path}
    config = DEFAULT_CONFIG
    for attempt in (pruned, {k: v for k, v in pruned.items() if k not in bad_keys}):
        try:
            config = schema.load(attempt)
            break
        except ValidationError:
            continue
    return config, [ConfigError(_format_path(path), value, message) for path, value, message in problems]


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def _flatten(messages: Any, data: Any, path: list) -> Any:
    """(path, value written, message) for each marshmallow error message."""
    if isinstance(messages, list):
        for message in messages:
            yield path, data, str(message)
        return
    for key, sub in messages.items():
        if key == "_schema":
            yield from _flatten(sub, data, path)
        elif key == "value" and not (isinstance(data, dict) and "value" in data):
            yield from _flatten(sub, data, path)  # a Dict field's value: same place
        elif key == "key" and not (isinstance(data, dict) and "key" in data):  # a Dict field's key
            for message in sub if isinstance(sub, list) else [sub]:
                yield path, path[-1] if path else None, str(message)
        elif isinstance(data, dict) and key in data or \
                isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            yield from _flatten(sub, data[key], [*path, key])
        else:
            yield from _flatten(sub, None, [*path, key])


_GONE = object()


def _delete(data: Any, path: list) -> None:
    """Remove the value at path; when it is not there (a missing field), remove its parent.

    A bad field inside a list item removes the whole item: half a component is no component.
    """
    indexes = [position for position, key in enumerate(path) if isinstance(key, int)]
    if indexes:
        path = path[: indexes[-1] + 1]
    if not path:
        return
    parent = data
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
        parent[last] = _GONE  # keep the other errors' indexes valid until all are deleted
    else:
        _delete(data, path[:-1])


def _compact(data: Any) -> Any:
    """Drop the list items _delete marked as gone."""
    if isinstance(data, dict):
        return {key: _compact(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_compact(item) for item in data if item is not _GONE]
    return data


def _format_path(path: list) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


__all__ = ["DEFAULT_CONFIG", "INVALID_YAML", "NOT_A_MAPPING", "ConfigError", "load_config", "load_config_data"]
