"""`next` and `back` lead only to this site's own paths, whatever the browser would make of them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from support import World
from websupport import PASSWORD, AuthActions

from caseflow_web.redirects import local_target

HOSTILE = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /cases/",
    "/cases/\x00",
    "/../../evil",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_target_that_leaves_the_site_is_refused(target: str) -> None:
    assert local_target(target) is None


@pytest.mark.parametrize("target", ["/", "/cases/", "/queue/?tab=mine&page=2", "/%09/x"])
def test_a_local_path_is_kept(target: str) -> None:
    assert local_target(target) == target


def test_a_prefix_keeps_the_target_inside_its_area() -> None:
    assert local_target("/queue/?tab=mine", "/queue/") == "/queue/?tab=mine"
    assert local_target("/cases/", "/queue/") is None


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_goes_home_instead_of_to_a_foreign_next(
    client: FlaskClient, world: World, target: str
) -> None:
    response = client.post(
        "/login", data={"username": "clerk", "password": PASSWORD, "next": target}
    )
    if "\x00" in target:  # NUL is refused before any view reads the form
        assert response.status_code == 400
    else:
        assert response.headers["Location"] == "/"


def test_sign_in_follows_a_local_next(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/login", data={"username": "clerk", "password": PASSWORD, "next": "/cases/"}
    )
    assert response.headers["Location"] == "/cases/"


def test_the_sign_in_form_does_not_carry_a_foreign_next(client: FlaskClient, world: World) -> None:
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert "evil.example" not in page


def test_the_queue_sends_back_only_into_the_queue(
    client: FlaskClient, auth: AuthActions, world: World
) -> None:
    auth.login("clerk")
    for back in ("/queue/\n/evil.example", "//evil.example/queue/", "/cases/"):
        response = client.post("/queue/999999/claim", data={"back": back})
        assert response.status_code in (302, 303, 404)
        assert "evil" not in response.headers.get("Location", "")
