"""Deployment settings, read from the environment once per process (DESIGN "Configuration")."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

MAX_BODY_BYTES = 25 * 1024 * 1024
DELIVERY_TTL_SECONDS = 72 * 3600  # GitHub lets you redeliver for three days


def _private_key(value: str | None) -> str | None:
    """GITHUB_PRIVATE_KEY holds either the PEM text or a path to it."""
    if not value or "BEGIN" in value:
        return value
    return Path(value).expanduser().read_text()


@dataclass(frozen=True)
class Settings:
    github_webhook_secret: str | None = None
    github_app_id: str | None = None
    github_private_key: str | None = field(default=None, repr=False)
    github_token: str | None = field(default=None, repr=False)
    github_api_url: str = "https://api.github.com"
    gitlab_url: str = "https://gitlab.com"
    gitlab_token: str | None = field(default=None, repr=False)
    gitlab_webhook_secret: str | None = field(default=None, repr=False)
    redis_url: str | None = None
    database_url: str = "sqlite:///incident-desk.db"
    public_url: str = "http://localhost:8000"
    smtp_url: str | None = field(default=None, repr=False)
    bot_login: str | None = None
    retry_base_seconds: float = 2.0
    # The write budget (forges.write_budget): a command's few writes go at once, sustained writing is paced.
    # GitHub asks integrations to space writes about a second apart, and to make at most 80 content writes a
    # minute (secondary rate limits): a burst of 15 plus one a second is at most 75 in any minute.
    github_write_interval: float = 1.0  # seconds per write, sustained
    github_write_burst: int = 15  # writes that may go at once
    gitlab_write_interval: float = 0.5
    gitlab_write_burst: int = 15
    max_attempts: int = 6
    notify_max_attempts: int = 20  # subscriber notifications: hourly at most, so about 10 hours
    # Reverse proxies in front of the app whose X-Forwarded-* headers are believed (0: none are).
    trusted_proxies: int = 0
    # Subscription requests an hour: one client address may ask for a few pages, a mail server not for more.
    subscribe_limit_per_client: int = 10
    subscribe_limit_total: int = 500
    status_hosts: tuple[tuple[str, str], ...] = ()  # (host name, slug): that page served at the host's root
    # Slack (issue 16): the app's signing secret and bot token, the workspace it belongs to (others are
    # refused), the repository a `/incident` typed in Slack opens its issue in, e.g. github:acme/incidents.
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_team_id: str | None = None
    slack_repository: str | None = None  # "<platform>:<repository>"
    slack_api_url: str = "https://slack.com/api/"
    # Apprise targets by name (their URLs hold secrets, so never a repository's config): name -> URL, and
    # the names allowed to hear about private incidents.
    chat_targets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    private_chat_targets: frozenset[str] = frozenset()
    # Alerts (issue 17): each alert source by name with the bearer token it sends, PagerDuty's webhook
    # secrets (several during a rotation), and the routes from alert labels to repositories (the text of
    # INCIDENT_DESK_ALERT_ROUTES, parsed by incidents.alert_routes).
    alert_sources: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    pagerduty_secrets: tuple[str, ...] = field(default=(), repr=False)
    alert_routes: str = ""
    onboarding: bool = True  # issue 19: one onboarding pull/merge request per repository (INCIDENT_DESK_ONBOARDING=off)
    # The incident board (issue 19): (platform, repository) pairs, one per GitHub account or GitLab group.
    board_repositories: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from environment variables (or the mapping given)."""
        env = with_settings_file(os.environ) if env is None else env
        return cls(
            github_webhook_secret=env.get("GITHUB_WEBHOOK_SECRET"),
            github_app_id=env.get("GITHUB_APP_ID"),
            github_private_key=_private_key(env.get("GITHUB_PRIVATE_KEY")),
            github_token=env.get("GITHUB_TOKEN"),
            github_api_url=env.get("GITHUB_API_URL", cls.github_api_url).rstrip("/"),
            gitlab_url=env.get("GITLAB_URL", cls.gitlab_url).rstrip("/"),
            gitlab_token=env.get("GITLAB_TOKEN"),
            gitlab_webhook_secret=env.get("GITLAB_WEBHOOK_SECRET"),
            redis_url=env.get("REDIS_URL") or None,
            database_url=env.get("DATABASE_URL") or cls.database_url,
            public_url=env.get("PUBLIC_URL", cls.public_url).rstrip("/"),
            smtp_url=env.get("SMTP_URL") or None,
            bot_login=env.get("INCIDENT_DESK_BOT_LOGIN") or None,
            github_write_interval=float(env.get("INCIDENT_DESK_GITHUB_WRITE_INTERVAL", cls.github_write_interval)),
            github_write_burst=_count(env, "INCIDENT_DESK_GITHUB_WRITE_BURST", cls.github_write_burst),
            gitlab_write_interval=float(env.get("INCIDENT_DESK_GITLAB_WRITE_INTERVAL", cls.gitlab_write_interval)),
            gitlab_write_burst=_count(env, "INCIDENT_DESK_GITLAB_WRITE_BURST", cls.gitlab_write_burst),
            retry_base_seconds=float(env.get("INCIDENT_DESK_RETRY_BASE_SECONDS", cls.retry_base_seconds)),
            max_attempts=int(env.get("INCIDENT_DESK_MAX_ATTEMPTS", cls.max_attempts)),
            notify_max_attempts=int(env.get("INCIDENT_DESK_NOTIFY_MAX_ATTEMPTS", cls.notify_max_attempts)),
            trusted_proxies=_count(env, "INCIDENT_DESK_TRUSTED_PROXIES", cls.trusted_proxies),
            subscribe_limit_per_client=_count(env, "INCIDENT_DESK_SUBSCRIBE_LIMIT_PER_CLIENT",
                                              cls.subscribe_limit_per_client),
            subscribe_limit_total=_count(env, "INCIDENT_DESK_SUBSCRIBE_LIMIT_TOTAL", cls.subscribe_limit_total),
            status_hosts=_status_hosts(env.get("INCIDENT_DESK_STATUS_HOSTS", "")),
            onboarding=env.get("INCIDENT_DESK_ONBOARDING", "on").strip().lower() not in ("off", "false", "no", "0"),
            **_chat_and_alerts(env, cls.slack_api_url),
            board_repositories=board_repositories(env),
        )


def _count(env, name: str, default: int) -> int:
    """A whole number of at least 0 from the environment; ValueError naming the variable otherwise."""
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of at least 0, not {value!r}")
    return int(value)


def _status_hosts(value: str) -> tuple[tuple[str, str], ...]:
    """`status.acme.com=acme,status.example.org=example` → ((host, slug), ...); host names lower-cased."""
    pairs = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        host, _, slug = (text.strip() for text in item.partition("="))
        if not host or not slug or ":" in host or "/" in host:
            raise ValueError(f"INCIDENT_DESK_STATUS_HOSTS wants host=slug pairs separated by commas, not {item!r}")
        pairs.append((host.lower().rstrip("."), slug))
    return tuple(pairs)


def _chat_and_alerts(env, slack_api_url: str) -> dict:
    """The Slack, Apprise, alert-source and PagerDuty settings (issues 16 and 17)."""
    return dict(
        slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
        slack_team_id=env.get("SLACK_TEAM_ID") or None,
        slack_repository=_slack_repository(env.get("INCIDENT_DESK_SLACK_REPOSITORY", "")),
        slack_api_url=env.get("SLACK_API_URL", slack_api_url).rstrip("/") + "/",
        chat_targets=_chat_targets(env.get("INCIDENT_DESK_CHAT_TARGETS", "")),
        private_chat_targets=frozenset(_listed(env, "INCIDENT_DESK_PRIVATE_CHAT_TARGETS")),
        alert_sources=_alert_sources(env.get("INCIDENT_DESK_ALERT_SOURCES", "")),
        pagerduty_secrets=_listed(env, "PAGERDUTY_WEBHOOK_SECRETS"),
        alert_routes=env.get("INCIDENT_DESK_ALERT_ROUTES", "").strip(),
    )


def _listed(env, name: str) -> tuple[str, ...]:
    """A comma-separated list from the environment, blanks dropped."""
    return tuple(filter(None, (item.strip() for item in env.get(name, "").split(","))))


def _slack_repository(value: str) -> str | None:
    """`github:acme/incidents` (or gitlab:group/project); ValueError naming the variable otherwise."""
    value = value.strip()
    if not value:
        return None
    platform, _, repository = value.partition(":")
    if platform not in ("github", "gitlab") or "/" not in repository.strip("/"):
        raise ValueError(f"INCIDENT_DESK_SLACK_REPOSITORY wants github:owner/repo or gitlab:group/project, "
                         f"not {value!r}")
    return f"{platform}:{repository.strip('/')}"


def _chat_targets(value: str) -> tuple[tuple[str, str], ...]:
    """`teams=msteams://... ops=discord://...` (separated by spaces or new lines) → ((name, url), ...)."""
    pairs = []
    for item in value.split():
        name, _, url = item.partition("=")
        if not name or "://" not in url:
            raise ValueError(f"INCIDENT_DESK_CHAT_TARGETS wants name=apprise-url entries, not one starting "
                             f"{item[:12]!r}")  # never the whole entry: the URL holds a secret
        pairs.append((name, url))
    return tuple(pairs)


def _alert_sources(value: str) -> tuple[tuple[str, str], ...]:
    """`prometheus=token grafana=token2` (spaces or new lines between) → ((name, token), ...)."""
    pairs = []
    for item in value.split():
        name, _, token = item.partition("=")
        if not name or not token or "/" in name:
            raise ValueError(f"INCIDENT_DESK_ALERT_SOURCES wants name=token entries, not one starting {item[:6]!r}")
        pairs.append((name, token))
    return tuple(pairs)


# The settings file (issue 19): what `incident-desk setup` wrote, `KEY=value` lines, read by every process
# under the environment, which wins. INCIDENT_DESK_SETTINGS_FILE names another file, or none when empty.
SETTINGS_FILE_VARIABLE = "INCIDENT_DESK_SETTINGS_FILE"


def settings_file_path(env=None) -> Path | None:
    """Where the settings file is: INCIDENT_DESK_SETTINGS_FILE, else ~/.config/incident-desk/settings.env
    ($XDG_CONFIG_HOME when set); None when the variable is set but empty."""
    env = os.environ if env is None else env
    if SETTINGS_FILE_VARIABLE in env:
        named = env[SETTINGS_FILE_VARIABLE].strip()
        return Path(named).expanduser() if named else None
    config_home = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config_home) / "incident-desk" / "settings.env"


def with_settings_file(env) -> dict[str, str]:
    """The settings file's values under the environment's: a variable set in the environment wins."""
    path = settings_file_path(env)
    values = read_settings_file(path) if path is not None and path.is_file() else {}
    return {**values, **env}


def read_settings_file(path: Path) -> dict[str, str]:
    """`KEY=value` lines (`export ` allowed, `#` comments); a double-quoted value may hold \\n, \\" and \\\\."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not equals or not key.isidentifier():
            raise ValueError(f"{path}:{number}: want KEY=value")
        values[key] = _unquoted(value.strip())
    return values


def _unquoted(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    out, chars = [], iter(value[1:-1])
    for char in chars:
        if char == "\\":
            char = {"n": "\n"}.get(following := next(chars, "\\"), following)
        out.append(char)
    return "".join(out)


def settings_file_text(values: dict[str, str]) -> str:
    """The lines read_settings_file reads back to `values`; a value with anything but plain characters is quoted."""
    lines = []
    for key, value in values.items():
        if value and all(char.isalnum() or char in "-_.:/@+,=" for char in value):
            lines.append(f"{key}={value}")
        else:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            lines.append(f'{key}="{escaped}"')
    return "\n".join(lines) + "\n"


def write_settings_file(path: Path, updates: dict[str, str], header: str = "") -> None:
    """Merge `updates` into the settings file, readable and writable by its owner only (0600), replaced at once
    (a new file renamed over the old), so a reader never sees half of it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    values = read_settings_file(path) if path.is_file() else {}
    text = (f"# {header}\n" if header else "") + settings_file_text({**values, **updates})
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()


def board_repositories(env) -> tuple[tuple[str, str], ...]:
    """INCIDENT_DESK_BOARD_REPOSITORIES: `github:acme/ops, gitlab:acme-group/ops` (commas or spaces between) →
    ((platform, repository), ...); each board lists the incidents of its repository's owner or top-level group.
    ValueError naming the variable for anything else."""
    pairs = []
    for item in env.get("INCIDENT_DESK_BOARD_REPOSITORIES", "").replace(",", " ").split():
        platform, _, repository = item.partition(":")
        if platform not in ("github", "gitlab") or "/" not in repository.strip("/"):
            raise ValueError(f"INCIDENT_DESK_BOARD_REPOSITORIES wants github:owner/repo or gitlab:group/project "
                             f"entries, not {item!r}")
        pairs.append((platform, repository.strip("/")))
    return tuple(pairs)
