"""A stateful fake of Jira Cloud and Confluence Cloud, served on loopback at the real REST paths.

The unchanged ``jira`` and ``atlassian-python-api`` clients talk to it over HTTP. Split like
moto: ``routing`` (paths -> handlers), each product's ``routes``/``shapes``/``state``, and the
``app`` that adds authentication, faults and the call ledger; ``server`` puts it on a socket.
"""

from .app import SandboxApp
from .seed import Seed, load_seed, parse_seed
from .server import RunningSandbox, running, start

__all__ = ["RunningSandbox", "SandboxApp", "Seed", "load_seed", "parse_seed", "running", "start"]
