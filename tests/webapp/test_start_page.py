"""The start page per role: `/` sends each user to where their work is, and a signed-out
visitor to the login page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from websupport import AuthActions


@pytest.mark.parametrize(
    ("user", "path"),
    [
        ("clerk", "/desk/"),
        ("approver", "/queue/"),
        ("reviewer", "/queue/"),
        ("leader", "/queue/"),
        ("inv1", "/queue/"),
        ("supervisor", "/board"),
        ("admin", "/admin"),
    ],
)
def test_start_page_by_role(client: FlaskClient, auth: AuthActions, user: str, path: str) -> None:
    auth.login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith(path), response.headers["Location"]
    assert client.get(response.headers["Location"]).status_code == 200


def test_start_page_signed_out(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith("/login")


def test_home_endpoint_rules() -> None:
    from caseflow_web.home import home_endpoint

    assert home_endpoint({"clerk", "township_reviewer"}) == "desk.search"
    assert home_endpoint({"supervisor", "district_approver"}) == "supervise.index"
    assert home_endpoint({"admin", "district_approver"}) == "queue.index"
    assert home_endpoint({"district_finance"}) == "queue.index"
    assert home_endpoint(set()) == "auth.login"
