def test_health(api_as):
    response = api_as(None).get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_me(api_as, tree):
    response = api_as(tree.dealer_admin).get("/me")
    assert response.status_code == 200, response.content
    print(response.json())
