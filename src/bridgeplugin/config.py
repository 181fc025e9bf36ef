"""Configuration: one YAML file, ``BRIDGE_*`` environment variables, defaults.

Precedence is environment > ``bridge.yaml`` > defaults. Every setting has a variable named
``BRIDGE_`` + the key in upper case, with ``__`` between nested keys::

    jira_url: https://acme.atlassian.net      BRIDGE_JIRA_URL
    projects:
      marketing: MKT                          BRIDGE_PROJECTS__MARKETING

Which file: ``load_config(path)`` (the CLI's ``--config``), else ``$BRIDGE_CONFIG``, else
``./bridge.yaml`` if it exists, else none (defaults and environment only). Relative paths
written in the file are relative to the file, so ``bridge --config /etc/bridge/bridge.yaml``
behaves the same from any directory; relative paths in variables are relative to the current
directory, as in a shell.

Secrets (``jira_token``, ``jira_pat``, ``webhook_secret``, ``automation_token``) come only from
their variable or from a file named by ``<secret>_file`` (in the YAML or ``BRIDGE_<SECRET>_FILE``)
that only its owner can read (mode 0600 or stricter). A secret written into ``bridge.yaml`` is
refused: config files get copied, committed and pasted into tickets. The variable wins over the
file. Secrets are ``SecretStr`` and never appear in ``repr``, ``str`` or ``model_dump``.

The state database defaults to ``$XDG_STATE_HOME/bridgeplugin/state.db``
(``~/.local/state/bridgeplugin/state.db``), which does not depend on the working directory, so
cron jobs and an interactive shell share one; the starter written by ``bridge init`` sets
``state: .bridge/state.db`` to keep it next to the config instead.
"""

from __future__ import annotations

import difflib
import os
import stat
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .errors import ConfigError

__all__ = [
    "CONFIG_FILENAME",
    "ENV_PREFIX",
    "SECRET_FIELDS",
    "Config",
    "CustomFieldNames",
    "ProjectKeys",
    "RetryPolicy",
    "SyncSettings",
    "TaggingSettings",
    "Timeouts",
    "default_state_path",
    "env_name",
    "load_config",
    "read_secret_file",
    "shipped_dir",
]

CONFIG_FILENAME = "bridge.yaml"
ENV_PREFIX = "BRIDGE_"
SECRET_FIELDS = ("jira_token", "jira_pat", "webhook_secret", "automation_token")

# Jira project keys: an upper-case letter, then upper-case letters, digits or underscores.
ProjectKey = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]+$")]


def env_name(*path: str) -> str:
    """The variable that sets a key: ``env_name("projects", "it") == "BRIDGE_PROJECTS__IT"``."""
    return ENV_PREFIX + "__".join(p.upper() for p in path)


# --- shipped data -------------------------------------------------------------------------------


def shipped_dir(name: Literal["rules", "templates"]) -> Path:
    """The ``rules/`` or ``templates/`` folder shipped with bridgeplugin.

    A wheel carries them as ``bridgeplugin/_data/<name>`` (pyproject's hatch force-include); a
    source checkout or editable install has them at the top of the repository.
    """
    return _shipped_dir(name, Path(__file__).resolve().parent)


def _shipped_dir(name: str, package_dir: Path) -> Path:
    candidates = (package_dir / "_data" / name, package_dir.parents[1] / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = " and ".join(str(c) for c in candidates)
    raise ConfigError(
        f"the shipped {name}/ folder is missing (looked in {looked})",
        hint="reinstall bridgeplugin",
    )


def default_state_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_STATE_HOME/bridgeplugin/state.db``, else ``~/.local/state/bridgeplugin/state.db``."""
    base = environ.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "bridgeplugin" / "state.db"
    home = environ.get("HOME")
    root = Path(home) if home else Path.home()
    return root / ".local" / "state" / "bridgeplugin" / "state.db"


# --- the model ----------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectKeys(_Section):
    """Jira project keys: where marketing asks, where IT works, where joint epics live."""

    marketing: ProjectKey = Field("MKT", description="the marketing (business) project")
    it: ProjectKey = Field("IT", description="the IT (software) project")
    joint: ProjectKey = Field("IT", description="where cross-team epics are created (default: it)")

    @model_validator(mode="before")
    @classmethod
    def _joint_defaults_to_it(cls, data: Any) -> Any:
        # A before-validator rather than a default, because the default depends on another
        # field and the model is frozen.
        if isinstance(data, dict) and data.get("joint") is None:
            return {**data, "joint": data.get("it", cls.model_fields["it"].default)}
        return data


class CustomFieldNames(_Section):
    """Names (or ``customfield_NNNNN`` ids) of the Jira custom fields bridgeplugin reads."""

    cost: str = Field("Cost", min_length=1, description="number field with a request's cost")
    initiative: str = Field(
        "Initiative", min_length=1, description="text field naming the shared initiative"
    )


class TaggingSettings(_Section):
    """What ``bridge sync`` writes on a tagged request."""

    label: str = Field(
        "marketing-tech-request", description="label added to tagged requests (no spaces)"
    )

    @field_validator("label")
    @classmethod
    def _jira_label(cls, value: str) -> str:
        # Jira refuses labels with whitespace or over 255 characters.
        if not value or len(value) > 255 or any(c.isspace() for c in value):
            raise ValueError("must be a Jira label: 1 to 255 characters, no spaces")
        return value


class SyncSettings(_Section):
    """How ``bridge sync`` reads incrementally and keeps two runs apart."""

    overlap_minutes: float = Field(
        5.0, ge=0, description="re-read issues updated this long before the watermark"
    )
    lease_seconds: PositiveFloat = Field(
        600.0, description="a crashed run blocks the next one for at most this long"
    )
    chunk_size: int = Field(
        1000,
        ge=1,
        le=100_000,
        description="issues read, planned and applied at a time (memory stays flat; 1,000 "
        "keeps bulk label edits full)",
    )
    publish: Literal["never", "closed", "changed"] = Field(
        "closed",
        description="sprint pages after a sync: when a sprint has closed, also whenever the "
        "active sprint's figures changed, or never",
    )


class GovernanceSettings(_Section):
    """What ``bridge sync`` does about the review rules (``kind: reviews`` files)."""

    # Off until a site turns it on: reverting people's approvals is a step a site takes after
    # it has looked at ``bridge check`` for its requests.
    enforce: bool = Field(
        False, description="create review sub-tasks, revert approvals made without reviews"
    )
    violation_label: str = Field(
        "bridge-violation", description="label where an approval cannot be reverted"
    )
    max_reverts: PositiveInt = Field(
        3, description="reverts of one request before the plugin labels it and stops"
    )


class Timeouts(_Section):
    """HTTP timeouts in seconds for Jira and Confluence."""

    connect: PositiveFloat = Field(5.0, description="seconds to establish a connection")
    read: PositiveFloat = Field(30.0, description="seconds to wait for an answer")


class RetryPolicy(_Section):
    """Retries of idempotent calls on 429, 5xx and connection failures."""

    max_attempts: PositiveInt = Field(5, description="attempts in all, the first included")
    max_wait: PositiveFloat = Field(60.0, description="longest single wait in seconds")


class Config(BaseSettings):
    """Every setting bridgeplugin reads. Build it with ``load_config``.

    ``Config(...)`` on its own takes explicit values only (no environment, no file): the
    sources are assembled in one place, ``load_config``, so that function stays pure.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        # CI systems and shells often export a variable as empty: treat that as unset.
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
    )

    jira_url: str | None = Field(None, description="Jira site, e.g. https://acme.atlassian.net")
    confluence_url: str | None = Field(None, description="Confluence site; default jira_url/wiki")
    jira_email: str | None = Field(None, description="Atlassian account e-mail (Cloud)")
    jira_token: SecretStr | None = Field(None, description="Jira Cloud API token")
    jira_token_file: Path | None = Field(None, description="file (mode 0600) with the API token")
    jira_pat: SecretStr | None = Field(None, description="Data Center personal access token")
    jira_pat_file: Path | None = Field(None, description="file (mode 0600) with the PAT")
    projects: ProjectKeys = Field(default_factory=ProjectKeys)
    rules: Path = Field(default_factory=lambda: shipped_dir("rules"), description="rules directory")
    templates: Path = Field(
        default_factory=lambda: shipped_dir("templates"), description="templates directory"
    )
    state: Path = Field(default_factory=default_state_path, description="local state database")
    confluence_space: str = Field("BRIDGE", min_length=1, description="space key for reports")
    report_parent: str = Field(
        "Marketing x IT reports", min_length=1, description="title of the page reports go under"
    )
    board_id: PositiveInt | None = Field(None, description="IT Scrum board id (default: find it)")
    custom_fields: CustomFieldNames = Field(default_factory=CustomFieldNames)
    tagging: TaggingSettings = Field(default_factory=TaggingSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    webhook_secret: SecretStr | None = Field(None, description="HMAC secret of Jira webhooks")
    webhook_secret_file: Path | None = Field(None, description="file (mode 0600) with it")
    automation_token: SecretStr | None = Field(
        None, description="token Jira Automation sends to bridge serve"
    )
    automation_token_file: Path | None = Field(None, description="file (mode 0600) with it")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_config merges file and environment itself (it needs to know which source each
        # value came from to name it in errors); reading os.environ here as well would let the
        # process environment override the environ it was given.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _confluence_defaults_to_jira_wiki(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("confluence_url"):
            return data
        jira = data.get("jira_url")
        # Derive only from a plausible URL: a bad jira_url is reported once, not twice.
        if isinstance(jira, str) and jira.startswith(("http://", "https://")):
            return {**data, "confluence_url": jira.rstrip("/") + "/wiki"}
        return data

    @field_validator("jira_url", "confluence_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL, e.g. https://acme.atlassian.net")
        # Gateways append paths; a trailing slash would make them "//rest/...".
        return value.strip().rstrip("/")

    @field_validator("jira_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError("must be the e-mail address of the Atlassian account")
        return value.strip() if value is not None else None

    @field_validator("rules", "templates", "state")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    def check_site(self) -> None:
        """Raise ``ConfigError`` unless a Jira site and one kind of credentials are set.

        Cloud uses e-mail + API token (basic auth), Data Center a personal access token
        (bearer); both at once is ambiguous.
        """
        if self.jira_url is None:
            raise ConfigError(
                f"no Jira site configured: set {env_name('jira_url')}",
                hint="e.g. https://acme.atlassian.net, or jira_url in bridge.yaml",
            )
        token_env, email_env, pat_env = (
            env_name("jira_token"),
            env_name("jira_email"),
            env_name("jira_pat"),
        )
        if self.jira_token is not None and self.jira_pat is not None:
            raise ConfigError(
                f"both an API token ({token_env}) and a personal access token ({pat_env}) are "
                "set: use e-mail + API token for Jira Cloud or a PAT for Data Center, not both",
                hint=f"unset one of {token_env}/jira_token_file and {pat_env}/jira_pat_file",
            )
        if self.jira_pat is not None:
            return
        if self.jira_token is not None and self.jira_email is None:
            raise ConfigError(
                f"{token_env} is set but {email_env} is not",
                hint=f"set {email_env} to the Atlassian account e-mail the token belongs to",
            )
        if self.jira_token is None and self.jira_email is not None:
            raise ConfigError(
                f"{email_env} is set but {token_env} is not",
                hint=f"set {token_env} (or jira_token_file, mode 0600) to an API token",
            )
        if self.jira_token is None:
            raise ConfigError(
                f"no Jira credentials: set {email_env} and {token_env} (Jira Cloud) "
                f"or {pat_env} (Data Center)",
                hint="or jira_token_file / jira_pat_file in bridge.yaml naming a mode 0600 file",
            )

    def secret_values(self) -> list[str]:
        """The secrets in clear, for the log redaction filter only (``logs.setup_logging``).

        Includes ``email:token``, whose base64 is the basic-auth header value.
        """
        values = [
            secret.get_secret_value()
            for secret in (getattr(self, name) for name in SECRET_FIELDS)
            if secret is not None
        ]
        if self.jira_email and self.jira_token is not None:
            values.append(f"{self.jira_email}:{self.jira_token.get_secret_value()}")
        return values


# --- loading ------------------------------------------------------------------------------------


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' variable parsing (prefix, ``__`` nesting, JSON for sections) over a
    given mapping instead of ``os.environ``, so ``load_config`` depends only on its arguments."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            (key if self.case_sensitive else key.lower()): value
            for key, value in self._environ.items()
            if not (self.env_ignore_empty and value == "")
        }


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    require_site: bool = True,
) -> Config:
    """Read ``bridge.yaml`` and the ``BRIDGE_*`` variables into a validated ``Config``.

    ``require_site=False`` is for commands that never talk to Jira (``rules validate``,
    ``sandbox``): the site and credentials may then be missing. Every problem is a
    ``ConfigError`` naming the file and line or the variable, and never a secret's value.
    """
    file = _locate(path, environ)
    file_data, root = _read_file(file) if file else ({}, None)
    env_data = _EnvironSource(Config, environ)()

    merged = _deep_merge(file_data, env_data)
    merged.setdefault("state", str(default_state_path(environ)))
    _resolve_secret_files(merged, env_data, file, root)

    try:
        config = Config(**merged)
    except ValidationError as exc:
        raise _explain(exc, env_data, file, root) from None
    if require_site:
        config.check_site()
    return config


def _locate(path: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> Path | None:
    if path is not None:
        return _must_exist(Path(path), "--config")
    if environ.get("BRIDGE_CONFIG"):
        return _must_exist(Path(environ["BRIDGE_CONFIG"]), "BRIDGE_CONFIG")
    default = Path(CONFIG_FILENAME)
    return default if default.is_file() else None


def _must_exist(path: Path, source: str) -> Path:
    if not path.is_file():
        what = "is not a file" if path.exists() else "does not exist"
        raise ConfigError(
            f"config file {path} ({source}) {what}", hint="run `bridge init` to write one"
        )
    return path


def _read_file(path: Path) -> tuple[dict[str, Any], yaml.MappingNode | None]:
    """The file's settings and its node tree (which knows each key's line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None

    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        context = ""
        if exc.context and exc.context_mark and exc.problem:
            context = f" ({exc.context} started at line {exc.context_mark.line + 1})"
        raise ConfigError(f"{where}: malformed YAML: {problem}{context}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: malformed YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()

    if root is None:
        return {}, None
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        line = root.start_mark.line + 1
        raise ConfigError(f"{path}:{line}: expected a mapping of settings (key: value)")

    _check_keys(root, Config, path, ())
    # Resolved, so paths keep working if the process later changes directory (a daemon).
    return _file_values(data, path.resolve().parent), root


def _check_keys(
    node: yaml.MappingNode, model: type[BaseModel], file: Path, prefix: tuple[str, ...]
) -> None:
    """Reject unknown and duplicate keys, and secrets written in the file, with their line."""
    valid = [name for name in model.model_fields if not (model is Config and name in SECRET_FIELDS)]
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError(f"{file}:{line}: keys must be plain names")
        key = str(key_node.value)
        dotted = ".".join((*prefix, key))
        if key in seen:
            raise ConfigError(
                f"{file}:{line}: duplicate key {dotted!r} (first at line {seen[key]})"
            )
        seen[key] = line

        if model is Config and key in SECRET_FIELDS:
            if _is_null(value_node):
                continue
            # Name the key, never the value: the message may end up in a ticket.
            raise ConfigError(
                f"{file}:{line}: {key} must not be written in the config file",
                hint=f"move it into {env_name(key)} or into a file with mode 0600 "
                f"and set {key}_file: /path/to/that/file",
            )
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            suggestion = f"did you mean {'.'.join((*prefix, close[0]))!r}? " if close else ""
            raise ConfigError(
                f"{file}:{line}: unknown key {dotted!r}",
                hint=f"{suggestion}valid keys{' under ' + '.'.join(prefix) if prefix else ''}: "
                f"{', '.join(valid)}",
            )
        section = _section_model(model.model_fields[key].annotation)
        if section is not None and isinstance(value_node, yaml.MappingNode):
            _check_keys(value_node, section, file, (*prefix, key))


def _is_null(node: yaml.Node) -> bool:
    """``key:`` or ``key: ''``: no value at all, so nothing secret was written."""
    return isinstance(node, yaml.ScalarNode) and (
        node.tag == "tag:yaml.org,2002:null" or node.value == ""
    )


def _section_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_path_field(name: str) -> bool:
    annotation = Config.model_fields[name].annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return Path in get_args(annotation)
    return annotation is Path


def _file_values(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Drop empty keys (``board_id:`` means "use the default") and anchor relative paths."""
    values: dict[str, Any] = {}
    for key, value in data.items():
        # Secret keys got here only empty (_check_keys refuses values).
        if value is None or key in SECRET_FIELDS:
            continue
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if v is not None}
        elif isinstance(value, str) and _is_path_field(key):
            path = Path(value).expanduser()
            value = str(path if path.is_absolute() else base / path)
        values[key] = value
    return values


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _resolve_secret_files(
    merged: dict[str, Any],
    env_data: Mapping[str, Any],
    file: Path | None,
    root: yaml.MappingNode | None,
) -> None:
    for name in SECRET_FIELDS:
        secret_file = merged.get(f"{name}_file")
        # The variable wins over the file; a non-string path is left for validation to report.
        if merged.get(name) is not None or not isinstance(secret_file, str | os.PathLike):
            continue
        source = _source((f"{name}_file",), env_data, file, root)
        merged[name] = read_secret_file(Path(secret_file), source=source)


def read_secret_file(path: Path, *, source: str = "secret file") -> str:
    """A secret from a file only its owner can read (mode 0600 or stricter).

    ``source`` says where the path came from (``bridge.yaml:7`` or ``BRIDGE_JIRA_TOKEN_FILE``).
    """
    try:
        # Check the mode of the file we actually read (fstat on the open descriptor), not of
        # whatever the path pointed to a moment earlier. O_NONBLOCK: a FIFO put in place of
        # the file must be refused below, not hang the command waiting for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        reason = exc.strerror or exc
        raise ConfigError(f"{source}: cannot read secret file {path}: {reason}") from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{source}: secret file {path} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{source}: secret file {path} has mode {mode:04o}; run chmod 600 {path}",
                hint="other users on this machine could read it",
            )
        getuid = getattr(os, "getuid", None)  # absent on Windows
        if getuid is not None and info.st_uid != getuid():
            raise ConfigError(
                f"{source}: secret file {path} is owned by uid {info.st_uid}, not by you "
                f"(uid {getuid()})",
                hint=f"run chown {getuid()} {path}",
            )
        try:
            value = handle.read().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{source}: cannot read secret file {path}: {exc}") from None
    if not value:
        raise ConfigError(f"{source}: secret file {path} is empty")
    return value


def _source(
    loc: tuple[str | int, ...],
    env_data: Mapping[str, Any],
    file: Path | None,
    root: yaml.MappingNode | None,
) -> str:
    """Where a value came from: its variable, else ``file:line``, else its key (a default)."""
    keys = tuple(str(part) for part in loc)
    if _lookup(env_data, keys):
        return env_name(*keys)
    line = _line_of(root, keys)
    if file is not None and line is not None:
        return f"{file}:{line}: {'.'.join(keys)}"
    return ".".join(keys) or "config"


def _lookup(data: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    current: Any = data
    for key in keys:
        if not isinstance(current, Mapping) or key not in current:
            return False
        current = current[key]
    return True


def _line_of(node: yaml.Node | None, keys: tuple[str, ...]) -> int | None:
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        for key_node, value_node in node.value:
            if key_node.value == key:
                line, node = key_node.start_mark.line + 1, value_node
                break
        else:
            return line
    return line


def _explain(
    exc: ValidationError,
    env_data: Mapping[str, Any],
    file: Path | None,
    root: yaml.MappingNode | None,
) -> ConfigError:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        if error["type"] == "value_error":
            message = str(error["ctx"]["error"])
        elif error["type"] == "extra_forbidden":
            field = Config.model_fields.get(str(loc[0]))
            section = _section_model(field.annotation) if field else None
            valid = ", ".join(section.model_fields) if section and len(loc) > 1 else ""
            message = f"unknown setting (valid: {valid})" if valid else "unknown setting"
        else:
            message = error["msg"]
        # The input value is left out on purpose: it may be a secret.
        problems.append(f"{_source(loc, env_data, file, root)}: {message}")
    return ConfigError("; ".join(problems))
