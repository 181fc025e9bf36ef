"""bridgeplugin: tag, govern and report marketing technology requests in Jira and Confluence."""

from .errors import (
    AtlassianError,
    AuthenticationError,
    BridgeError,
    ConfigError,
    PermissionDenied,
    RateLimited,
    RuleFileError,
)

__version__ = "0.1.0"

__all__ = [
    "AtlassianError",
    "AuthenticationError",
    "BridgeError",
    "ConfigError",
    "PermissionDenied",
    "RateLimited",
    "RuleFileError",
    "__version__",
]
