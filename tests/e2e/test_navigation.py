"""The sidebar's page labels are right from whichever page the first visitor opens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import DEMO_SPEED, SIDEBAR, AppServer, ChatPage, playwright_expect
from tests.servers import server_env, streamlit_server

pytestmark = pytest.mark.e2e
expect = playwright_expect()


def test_the_first_visitor_of_a_fresh_server_opening_compare_sees_the_page_labels(
    make_chat: Any,
) -> None:
    # A fresh server: the first page ever run in the process is /compare.
    with streamlit_server("app.py", env=server_env(**DEMO_SPEED)) as server:
        chat: ChatPage = make_chat(AppServer(server))
        chat.open("compare")
        nav = chat.page.locator(f'{SIDEBAR} [data-testid="stSidebarNav"] a')
        expect(nav).to_have_count(3, timeout=30_000)
        # Each link is an icon (its ligature text) and the label.
        assert [t.split()[-1] for t in nav.all_inner_texts()] == ["Chat", "Compare", "Metrics"]
        expect(chat.page.get_by_role("heading", name="Compare")).to_be_visible()
        chat.page.close()
