"""The one table of slash commands: for each, its usage, what it does, its parser and who may run it.

Help, the replies' usage lines, the config's `commands.<name>` keys and the permission check all
read this table; a command's effect is in handlers.commands.EFFECTS. Adding a command touches
those two places. Pure data.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from incidents.command_args import (
    action_args,
    close_args,
    component_args,
    incident_args,
    merge_request_args,
    no_args,
    publish_args,
    role_args,
    severity_args,
    status_args,
    taxonomy_args,
    timeline_args,
    workaround_args,
)
from incidents.nudges import snooze_args

PREFIX = "/"

# Who may run a command (DESIGN "Settled details: Permissions"). A repository's config may replace
# the rule of one command with `commands.<name>.allowed_users` / `allowed_teams`.
ANYONE, WRITE, COMMANDER, MAINTAIN, BLOG = "anyone", "write", "commander", "maintain", "blog"
NEEDED: Mapping[str, str] = MappingProxyType({
    WRITE: "write access to the repository",
    COMMANDER: "to be the incident's commander, or maintainer access",
    MAINTAIN: "maintainer access",
    BLOG: "to be listed in `blog.allowed_users` / `blog.allowed_teams` (or an admin)",
})

Parser = Callable[..., dict[str, Any]]  # (rest, *, today, terms, more) -> args; raises BadArgs


@dataclass(frozen=True)
class CommandSpec:
    """One command: everything about it but its effect."""

    name: str
    arguments: str  # what follows the name in the usage line
    description: str  # one line of help
    parse: Parser
    permission: str  # ANYONE, WRITE, COMMANDER, MAINTAIN or BLOG
    multiline: bool = False  # its message may run on below the command line, up to a blank line

    def usage(self, prefix: str = PREFIX) -> str:
        """The usage line, e.g. `/status <investigating|…> [message]`."""
        return f"{prefix}{self.name} {self.arguments}".rstrip()


_MR = "<merge request: !34, group/project!34, #34 or URL>"

# In the order help lists them.
_SPECS = (
    CommandSpec("incident", "<what went wrong>",
                "Open a new incident issue; you become its commander and operations lead.", incident_args, WRITE),
    CommandSpec("status", "<investigating|identified|monitoring|resolved> [message]",
                "Set the status; the message (it may go on below, up to a blank line) goes to the timeline "
                "and the status page.", status_args, COMMANDER, multiline=True),
    CommandSpec("severity", "<major-outage|partial-outage|degraded-performance|operational>",
                "Set the severity.", severity_args, COMMANDER),
    CommandSpec("component", "<id> [<id> ...]", "Set the affected components.", component_args, COMMANDER),
    CommandSpec("commander", "@user", "Make someone the incident commander.", role_args, COMMANDER),
    CommandSpec("ops-lead", "@user", "Make someone the operations lead.", role_args, COMMANDER),
    CommandSpec("comms", "@user", "Make someone the communications lead.", role_args, COMMANDER),
    CommandSpec("timeline", "[YYYY-MM-DD] HH:MM [±HH:MM] [[detected]] <what happened>",
                "Add an entry to the timeline (repository timezone unless an offset is given).", timeline_args, WRITE),
    CommandSpec("action", "<what to do> @owner [due YYYY-MM-DD] [in group/project]",
                "Add an action item; with `in`, open the follow-up issue in that repository.", action_args, WRITE),
    CommandSpec("caused-by", _MR, "Link the merge request that caused the incident.", merge_request_args, WRITE),
    CommandSpec("fixed-by", _MR, "Link the merge request that fixed the incident.", merge_request_args, WRITE),
    CommandSpec("taxonomy", "TERM [< TERM ...]", "Set the root-cause taxonomy term or tree.", taxonomy_args,
                COMMANDER),
    CommandSpec("postmortem", "",
                "Add the postmortem template's missing sections to the issue, keeping what is written.", no_args,
                COMMANDER),
    CommandSpec("close", "--force [reason]",
                "Close the incident although action items are still open; recorded in the timeline.", close_args,
                MAINTAIN),
    CommandSpec("publish", "[postmortem]",
                "Show the incident on the status page; `postmortem` also shows its written postmortem.",
                publish_args, COMMANDER),
    CommandSpec("unpublish", "", "Take the incident off the status page.", no_args, COMMANDER),
    CommandSpec("workaround", "<text or link>",
                "Publish a workaround with the incident (its text may go on below, up to a blank line).",
                workaround_args, COMMANDER, multiline=True),
    CommandSpec("blog", "", "Request (again) the blog-post draft of the postmortem.", no_args, BLOG),
    CommandSpec("help", "", "List the commands.", no_args, ANYONE),
    CommandSpec("snooze", "<duration>",
                "Pause the nudges about overdue action items and the postmortem (on a follow-up issue: its items) "
                "for 3d, 1w…; the owner (their items), the commander or a maintainer.", snooze_args, ANYONE),
)

SPECS: Mapping[str, CommandSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})
COMMANDS: tuple[str, ...] = tuple(SPECS)

# Read-only views by name, for callers that want one fact of every command.
USAGE: Mapping[str, str] = MappingProxyType({name: spec.usage("{prefix}") for name, spec in SPECS.items()})
DESCRIPTION: Mapping[str, str] = MappingProxyType({name: spec.description for name, spec in SPECS.items()})
RULES: Mapping[str, str] = MappingProxyType({name: spec.permission for name, spec in SPECS.items()})


def render_help(prefix: str = PREFIX) -> str:
    """Markdown list of every command with its usage and what it does.

    `prefix` is what goes before a command's name: `/`, or `/desk ` where GitLab would take the
    bare name for its own quick action.
    """
    return "\n".join(f"- `{spec.usage(prefix)}`: {spec.description}" for spec in SPECS.values())
