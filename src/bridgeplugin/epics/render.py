"""The epic's and the checklist stories' texts, from Jinja2 templates in ``templates/``.

Same environment rules as ``bridgeplugin.render``: the configured templates directory first,
the shipped one behind it, ``StrictUndefined`` so a misspelt variable fails instead of
rendering empty. A template that fails is a ``ConfigError`` naming file:line; it is raised while
planning, before anything is written, so nothing is half-created.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from ..config import shipped_dir
from ..errors import ConfigError

__all__ = ["EpicTexts"]

MAX_SUMMARY = 255


class EpicTexts:
    def __init__(self, templates_dir: Path | None = None) -> None:
        dirs = [str(d) for d in (templates_dir, shipped_dir("templates")) if d is not None]
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(dict.fromkeys(dirs))),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for Jira, not HTML
        )

    def summary(self, template: str, **variables: Any) -> str:
        """One line: newlines and runs of spaces folded, cut to Jira's 255 characters."""
        text = re.sub(r"\s+", " ", self.render(template, **variables)).strip()
        if not text:
            raise ConfigError(f"{template}: renders an empty summary", hint="check the template")
        return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1] + "…"

    def render(self, template: str, **variables: Any) -> str:
        try:
            text = self._env.get_template(template).render(**variables)
        except jinja2.TemplateNotFound:
            raise ConfigError(
                f"template {template} is missing",
                hint="restore it in the templates directory, or fix the name in epics.yaml",
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise ConfigError(
                f"{exc.filename or template}:{exc.lineno}: {exc.message}",
                hint="fix the template's syntax",
            ) from None
        except jinja2.TemplateError as exc:
            raise ConfigError(
                f"{template}: {exc.message or exc}",
                hint="the variables a template may use are listed at its top",
            ) from None
        # Jira keeps blank lines as empty paragraphs: at most one in a row.
        return re.sub(r"\n{3,}", "\n\n", text).strip()
