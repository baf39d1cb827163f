"""Bearer tokens: where they come from, who they are, what they may do; never leaked."""

from __future__ import annotations

import logging

import pytest

from streams.api import ApiError, ApiTokens, Role, TokenConfigError
from tests.unit.api.fixtures import ADMIN, RESPONDER, VIEWER, tokens

SECRET = "s3cr3t-token-abcdefghij"


def test_roles_are_ordered_and_checked():
    known = tokens()
    assert known.authorize(f"Bearer {VIEWER}", Role.VIEWER).name == "vera"
    assert known.authorize(f"bearer {RESPONDER}", Role.RESPONDER).name == "ana@example.com"
    admin = known.authorize(f"Bearer {ADMIN}", Role.RESPONDER)
    assert admin.role is Role.ADMIN and admin.name.startswith("token-") and ADMIN not in admin.name
    with pytest.raises(ApiError) as refused:
        known.authorize(f"Bearer {VIEWER}", Role.RESPONDER)
    assert refused.value.status == 403 and "responder" in refused.value.message
    assert 'error="insufficient_scope"' in refused.value.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, None),
        ("", None),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer", "invalid_request"),
        ("Bearer wrong-token-0123456789", "invalid_token"),
        (f"Bearer {VIEWER}x", "invalid_token"),
    ],
)
def test_missing_or_wrong_token_is_401_with_a_bearer_challenge(header, error):
    with pytest.raises(ApiError) as refused:
        tokens().authenticate(header)
    assert refused.value.status == 401
    challenge = refused.value.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="vigil"')
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def test_no_tokens_configured_refuses_everyone():
    with pytest.raises(ApiError) as refused:
        ApiTokens().authenticate(f"Bearer {VIEWER}")
    assert refused.value.status == 401


def test_tokens_from_the_environment_and_a_file(tmp_path):
    path = tmp_path / "tokens.yaml"
    path.write_text(f"tokens:\n  - token: {SECRET}\n    role: admin\n    name: ops\n")
    known = ApiTokens.from_env(
        {"VIGIL_API_TOKENS": f" {VIEWER}:viewer , {RESPONDER}:Responder:ana ", "VIGIL_API_TOKENS_FILE": str(path)}
    )
    assert len(known) == 3
    assert known.authenticate(f"Bearer {RESPONDER}").name == "ana"
    assert known.authenticate(f"Bearer {SECRET}").role is Role.ADMIN
    assert len(ApiTokens.from_env({})) == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"{SECRET}", "expected token:role"),
        (f"{SECRET}:superuser", "unknown role"),
        ("tiny-tok:viewer", "shorter than 16"),
        ("bad token with spaces:viewer", "letters, digits"),
        (f"{SECRET}:viewer,{SECRET}:admin", "listed twice"),
    ],
)
def test_bad_configuration_is_refused_without_showing_the_token(text, problem):
    with pytest.raises(TokenConfigError) as refused:
        ApiTokens.parse(text)
    assert problem in str(refused.value)
    for secret in (SECRET, "tiny-tok", "bad token"):
        assert secret not in str(refused.value)


@pytest.mark.parametrize(
    "content",
    [
        f"tokens: [{{token: {SECRET}, role: boss}}]",
        f"tokens: [{{token: {SECRET}, role: viewer, extra: 1}}]",
        "tokens: {a: b}",
        f"tokens:\n  - token: {SECRET}\n   role: : viewer\n",  # not YAML; the parser would quote the line
        "tokens: [{token: 123456789012345678, role: viewer}]",
    ],
)
def test_bad_token_files_are_refused_without_showing_the_token(tmp_path, content):
    path = tmp_path / "tokens.yaml"
    path.write_text(content)
    with pytest.raises(TokenConfigError) as refused:
        ApiTokens.from_file(path)
    assert str(path) in str(refused.value)
    assert SECRET not in str(refused.value) and "123456789012345678" not in str(refused.value)


def test_a_missing_token_file_is_a_config_error(tmp_path):
    with pytest.raises(TokenConfigError, match="cannot read"):
        ApiTokens.from_file(tmp_path / "absent.yaml")


def test_tokens_never_appear_in_repr_or_logs(caplog):
    known = tokens()
    caplog.set_level(logging.DEBUG)
    for header in (f"Bearer {VIEWER}", "Bearer not-a-token-0123456789"):
        try:
            known.authorize(header, Role.ADMIN)
        except ApiError as exc:
            assert VIEWER not in exc.message and "not-a-token" not in exc.message
    text = repr(known) + caplog.text
    assert all(t not in text for t in (VIEWER, RESPONDER, ADMIN))
    assert "vera:viewer" in repr(known)
