"""streams.api's __all__ stays honest."""

from __future__ import annotations

import streams.api


def test_the_package_exports_what_it_lists():
    assert sorted(streams.api.__all__) == sorted(set(streams.api.__all__))
    for name in streams.api.__all__:
        assert getattr(streams.api, name) is not None
