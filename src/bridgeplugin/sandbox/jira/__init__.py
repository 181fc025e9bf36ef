"""The fake Jira Cloud: ``state`` (records and rules), ``search`` (JQL over issue rows),
``shapes`` (JSON per the OpenAPI description) and ``routes`` (REST paths -> handlers)."""

from .routes import router
from .state import JiraState

__all__ = ["JiraState", "router"]
