from .conftest import sign_in


def test_sign_in_page(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert "Sign in to voice" in response.text


def test_sign_in_and_case_list(client, world):
    sign_in(client, world.people["ictg.p1"])
    page = client.get("/cases/")
    assert page.status_code == 200, page.text
    assert "Child of p1" in page.text
    assert "Child of p2" not in page.text
