"""The editorial tests' users come from ``tests.support.users`` (a plugin of ``tests/conftest.py``)."""
