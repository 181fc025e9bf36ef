from __future__ import annotations

import pytest
from rulekit import make_catalog

from bridgeplugin.rules import VendorCatalog


@pytest.fixture(scope="session")
def catalog() -> VendorCatalog:
    """The small test catalog of rulekit.CATALOG_ENTRIES."""
    return make_catalog()
