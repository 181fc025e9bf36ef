"""Lock the public surface (httpx style): changing it must be a deliberate edit here."""

from __future__ import annotations

import bridgeplugin
from bridgeplugin import errors

PUBLIC = {
    "AtlassianError",
    "AuthenticationError",
    "BadRequest",
    "BridgeError",
    "ConfigError",
    "Config",
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
}


def test_public_names_are_exactly_the_locked_set():
    assert set(bridgeplugin.__all__) == PUBLIC
    for name in PUBLIC:
        assert hasattr(bridgeplugin, name), name


def test_every_error_in_the_tree_is_exported_and_drawn_in_the_docstring():
    tree = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, errors.BridgeError):
            assert name in tree, f"{name} missing from the tree in errors.py's docstring"
            assert issubclass(obj, Exception)


def test_api_errors_exit_3_and_configuration_errors_exit_2():
    assert errors.AtlassianError("x").exit_code == 3
    assert errors.RateLimited("x").exit_code == 3
    assert errors.ConfigError("x").exit_code == 2
    assert errors.RuleFileError("x", path="rules/a.yaml", line=3).exit_code == 2
    assert str(errors.RuleFileError("bad key", path="rules/a.yaml", line=3)).startswith(
        "rules/a.yaml:3: bad key"
    )
