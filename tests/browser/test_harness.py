"""The browser harness itself: a Chromium that stops is launched again for the next test."""

from __future__ import annotations

import pytest

from . import conftest

pytestmark = pytest.mark.browser


def test_a_stopped_chromium_is_launched_again_for_the_next_test(_chromium_session, request):
    first = _chromium_session.browser(request.node.nodeid)
    assert _chromium_session.browser("tests/b") is first  # one browser while it runs
    stopped_before = len(conftest._CHROMIUM_STOPPED)
    first.close()  # as a crash leaves it: no longer connected
    second = _chromium_session.browser("tests/c")
    try:
        assert second is not first and second.is_connected()
        page = second.new_page()
        page.set_content("<p>again</p>")
        assert page.inner_text("p") == "again"
        page.close()
        assert conftest._CHROMIUM_STOPPED[stopped_before:] == ["tests/c"]
    finally:
        del conftest._CHROMIUM_STOPPED[stopped_before:]  # not a crash of the run's own
