"""Every delivery test runs with the delivery settings of ``tests.support.delivery``."""

import pytest


@pytest.fixture(autouse=True)
def _delivery_settings(delivery_settings):
    return delivery_settings
