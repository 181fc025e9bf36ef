"""bridgeplugin: tag, govern and report marketing technology requests in Jira and Confluence.

The public surface is small on purpose: configuration, the two gateways, and the exception
tree. Everything else is importable from its module but may change between releases.
"""

from .config import Config, load_config
from .confluence_gateway import ConfluenceGateway
from .errors import (
    AtlassianError,
    AuthenticationError,
    BadRequest,
    BridgeError,
    ConfigError,
    Conflict,
    FieldNameError,
    Gone,
    InputError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    RuleFileError,
    ServerError,
    TransportError,
)
from .jira_gateway import JiraGateway
from .site import Site, open_site

__version__ = "0.1.0"

__all__ = [
    "AtlassianError",
    "AuthenticationError",
    "BadRequest",
    "BridgeError",
    "Config",
    "ConfigError",
    "Conflict",
    "ConfluenceGateway",
    "FieldNameError",
    "Gone",
    "InputError",
    "JiraGateway",
    "NotFound",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "RequestTimeout",
    "RuleFileError",
    "ServerError",
    "Site",
    "TransportError",
    "__version__",
    "load_config",
    "open_site",
]
