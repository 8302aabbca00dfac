"""`/snooze <duration>` (issue 18): pause an incident's nudges, or a follow-up issue's. Who may: an item's owner
(their items), the incident's commander and maintainers (all of them). The effect of incidents/command_table's
`snooze`, registered in handlers.commands.EFFECTS."""
from __future__ import annotations

from datetime import UTC, datetime

from checks import review
from handlers.command_run import Refused, Run
from handlers.commands import effect
from incidents.commands import Command
from incidents.model import Incident
from incidents.nudges import snoozed_keys

NOT_FOLLOWED = "this issue is neither an incident nor the follow-up of one; nothing to snooze."
NOT_YOURS = ("only an action item's owner, the incident's commander or a maintainer can snooze its nudges; "
             "nothing changed.")
SNOOZED = "nudges paused until {until:%Y-%m-%d %H:%M} UTC ({what})."
IN_CHARGE = ("maintain", "admin")


@effect("snooze")
def snooze(command: Command, run: Run) -> str:
    event, login = run.event, run.event.actor.login
    on_incident = run.incident is not None and run.incident.tracking
    incidents = [run.incident] if on_incident and run.incident else run.store.incidents_following(
        event.platform, event.repository, event.number)
    if not incidents:
        raise Refused(NOT_FOLLOWED)
    until = datetime.now(UTC) + command.args["duration"]
    snoozed = [what for incident in incidents
               if (what := _snooze_one(run, incident, login, until, on_incident))]
    if not snoozed:
        raise Refused(NOT_YOURS)
    return SNOOZED.format(until=until, what="; ".join(snoozed))


def _snooze_one(run: Run, incident: Incident, login: str, until: datetime, on_incident: bool) -> str:
    """Snooze what `login` may of one incident; what it was, or "" for nothing."""
    in_charge = (incident.commander or "").lower() == login.lower() or \
        run.permissions.level(incident.repository, login) in IN_CHARGE
    issue = run.forge.get_issue(incident.repository, incident.number)
    document, _ = review(issue.body, run.ctx.config_for(incident.repository).file)
    follow_up = None if on_incident else (run.event.repository, run.event.number)
    keys = snoozed_keys(document.actions, login, in_charge=in_charge, follow_up=follow_up,
                        home_repository=incident.repository)
    if not keys:
        return ""
    run.store.snooze_nudges(incident, keys, until)
    ref = f"{incident.repository}#{incident.number}"
    return f"every nudge of {ref}" if keys == ["*"] else f"{len(keys)} action item(s) of {ref}"
