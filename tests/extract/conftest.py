"""Shared checks in ``extract_pages`` report their values on failure, like asserts in the tests."""

import pytest

pytest.register_assert_rewrite("extract_pages")
