from django.urls import reverse


def test_authorization_code_flow_issues_tokens_and_userinfo(client, tokens):
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "read"}
    assert "id_token" in tokens and "refresh_token" in tokens
    response = client.get(
        reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
    )
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
