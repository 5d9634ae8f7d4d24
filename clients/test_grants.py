"""KMS grants through boto3 and the AWS CLI v1, as AWS documents them.

* The seed scenario, once with boto3 and once with the CLI: account 111122223333 owns a key, a role of
  098765432109 is assumed through STS, a grant lets the role session Decrypt and DescribeKey while Encrypt
  stays refused, and RevokeGrant takes the permission away on the very next request.
* The key-administrator / key-user seed: the key policy the KMS console writes, with administrators who
  manage the key but cannot use it, and users who use it but cannot manage it.
* Grant lifecycle and ListGrants output, Name idempotency, grant tokens, retiring and revoking, encryption
  context constraints, grants created through a grant, DryRun, invalid input, ListRetirableGrants paging,
  grants to an account root, explicit denies against grants, and the grant / tag condition keys.

One server per module (``two_account_kmsd``: 111122223333 with root test/test, and 098765432109); every
test names its IAM entities uniquely and makes keys of its own, so tests share it. Grants are in force on
the next request, as kmsd promises; the tests never sleep. Expected behaviour is AWS's (KMS API reference,
"Grants in AWS KMS", "AWS KMS condition keys"; botocore's kms/2014-11-01 model).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    DEV_ACCOUNT,
    SECOND_ACCOUNT,
    Credentials,
    IdentityCli,
    KmsdServer,
    assert_client_error,
    aws_client,
)

DEV = DEV_ACCOUNT  # 111122223333, "account A": owns the keys unless a test says otherwise
SECOND = SECOND_ACCOUNT  # 098765432109, "account B"
GRANT_ID_RE = re.compile(r"^[0-9a-f]{64}$")


# --- helpers ---------------------------------------------------------------------------------


def uname(prefix: str) -> str:
    """A name no other test uses (IAM names are at most 64 characters)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def expect(code: str, status: int, call: Callable[..., Any], /, **params: Any) -> ClientError:
    """``call(**params)`` raises a ClientError with exactly ``code`` and HTTP ``status``."""
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code, status)
    return info.value


def denied(call: Callable[..., Any], /, *args: Any, **params: Any) -> str:
    """``call(*args, **params)`` is AccessDeniedException (HTTP 400 in KMS); returns the message."""
    with pytest.raises(ClientError) as info:
        call(*args, **params)
    assert_client_error(info.value, "AccessDeniedException", 400)
    return message(info.value)


def message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps(policy(*statements))


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def trust(principal_arn: str) -> dict[str, Any]:
    return policy({"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"})


def key_statement(
    effect: str, principal: str, actions: str | list[str], condition: dict[str, Any] | None = None, sid: str = ""
) -> dict[str, Any]:
    """A key-policy statement for one principal ARN (or "*")."""
    out: dict[str, Any] = {
        "Effect": effect,
        "Principal": principal if principal == "*" else {"AWS": principal},
        "Action": actions,
        "Resource": "*",
    }
    if sid:
        out["Sid"] = sid
    if condition is not None:
        out["Condition"] = condition
    return out


def key_policy(*statements: dict[str, Any], account: str = DEV.root_arn) -> str:
    """A key policy whose first statement is AWS's "Enable IAM User Permissions" for ``account``."""
    return doc(key_statement("Allow", account, "kms:*", sid="Enable IAM User Permissions"), *statements)


def random_grant_id() -> str:
    """A well-formed grant id (64 hex digits) that names no grant."""
    return uuid.uuid4().hex + uuid.uuid4().hex


def grant_ids(grants: list[dict[str, Any]]) -> list[str]:
    return sorted(g["GrantId"] for g in grants)


@dataclass
class Principal:
    """An IAM user or role session with its KMS client."""

    arn: str
    creds: Credentials
    kms: Any


@pytest.fixture(scope="module")
def server(two_account_kmsd: KmsdServer) -> KmsdServer:
    return two_account_kmsd


@pytest.fixture(scope="module")
def iam(server: KmsdServer) -> Any:
    return aws_client(server, "iam")


@pytest.fixture(scope="module")
def iam2(server: KmsdServer) -> Any:
    return aws_client(server, "iam", SECOND.root)


@pytest.fixture(scope="module")
def kms(server: KmsdServer) -> Any:
    """KMS as the root of 111122223333."""
    return aws_client(server, "kms")


@pytest.fixture(scope="module")
def kms2(server: KmsdServer) -> Any:
    """KMS as the root of 098765432109."""
    return aws_client(server, "kms", SECOND.root)


@pytest.fixture
def make_user(server: KmsdServer, iam: Any, iam2: Any) -> Callable[..., Principal]:
    """``make_user(prefix, *identity_policy_statements, account=DEV)``: a fresh IAM user with an access key."""

    def _make(prefix: str, *statements: dict[str, Any], account: Any = DEV) -> Principal:
        client = iam if account is DEV else iam2
        name = uname(prefix)
        arn = client.create_user(UserName=name)["User"]["Arn"]
        assert arn == account.user_arn(name)
        if statements:
            client.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(*statements))
        creds = Credentials.from_access_key(client.create_access_key(UserName=name)["AccessKey"])
        return Principal(arn, creds, aws_client(server, "kms", creds))

    return _make


def make_role_sessions(
    server: KmsdServer, iam_client: Any, account: Any, *session_names: str
) -> tuple[str, list[Principal]]:
    """A role of ``account`` (no permission policies), trusting the account, and sessions of it assumed by
    a user of the same account. Returns the role ARN and one Principal per session name."""
    role_name = uname("grant-role")
    role_arn = iam_client.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust(account.root_arn)))[
        "Role"
    ]["Arn"]
    assert role_arn == account.role_arn(role_name)
    user = uname("assumer")
    iam_client.create_user(UserName=user)
    iam_client.put_user_policy(
        UserName=user, PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role_arn))
    )
    user_creds = Credentials.from_access_key(iam_client.create_access_key(UserName=user)["AccessKey"])
    sts = aws_client(server, "sts", user_creds)
    sessions = []
    for session_name in session_names:
        out = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)
        assert out["AssumedRoleUser"]["Arn"] == account.assumed_role_arn(role_name, session_name)
        creds = Credentials.from_sts(out["Credentials"])
        sessions.append(Principal(out["AssumedRoleUser"]["Arn"], creds, aws_client(server, "kms", creds)))
    return role_arn, sessions


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# --- CLI helpers -----------------------------------------------------------------------------


def cli_error(cli: IdentityCli, code: str, *args: str) -> str:
    """``aws <args>`` exits non-zero with the CLI's ``An error occurred (<code>)`` line; returns stderr."""
    res = cli.run(*args)
    assert res.returncode != 0, f"aws {' '.join(args)} unexpectedly succeeded: {res.stdout}"
    assert f"An error occurred ({code})" in res.stderr, f"aws {' '.join(args)}: expected {code}, got: {res.stderr}"
    return res.stderr


def fileb(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return f"fileb://{path}"


# =============================================================================================
# Seed: a grant lets a role of another account Decrypt and DescribeKey; Encrypt stays refused
# =============================================================================================


def test_seed_cross_account_role_decrypts_through_a_grant_boto3(server: KmsdServer, kms: Any, iam2: Any) -> None:
    # Account A (111122223333) owns the key and encrypts with it.
    key = kms.create_key(Description="seed: shared through a grant")["KeyMetadata"]
    key_id, key_arn = key["KeyId"], key["Arn"]
    assert key_arn == DEV.key_arn_prefix() + key_id
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"for the role in B")["CiphertextBlob"]

    # Account B (098765432109) has a role, assumed through STS by a principal of B.
    role_arn, (session,) = make_role_sessions(server, iam2, SECOND, "reader")
    assert role_arn.startswith(f"arn:aws:iam::{SECOND.id}:role/")
    ident = aws_client(server, "sts", session.creds).get_caller_identity()
    assert ident["Arn"] == session.arn and ident["Account"] == SECOND.id

    # Nothing lets the session in yet: the key policy trusts only A.
    denied(session.kms.decrypt, CiphertextBlob=blob)
    denied(session.kms.describe_key, KeyId=key_arn)

    created = kms.create_grant(KeyId=key_id, GranteePrincipal=role_arn, Operations=["Decrypt", "DescribeKey"])
    grant_id = created["GrantId"]
    assert GRANT_ID_RE.match(grant_id), grant_id
    assert created["GrantToken"]

    # In force at once, without the token.
    out = session.kms.decrypt(CiphertextBlob=blob)
    assert out["Plaintext"] == b"for the role in B"
    assert session.kms.decrypt(CiphertextBlob=blob, GrantTokens=[created["GrantToken"]])["KeyId"] == key_arn
    assert out["KeyId"] == key_arn
    assert session.kms.decrypt(CiphertextBlob=blob, KeyId=key_arn)["Plaintext"] == b"for the role in B"
    md = session.kms.describe_key(KeyId=key_arn)["KeyMetadata"]
    assert md["Arn"] == key_arn
    assert md["KeyId"] == key_id
    assert md["AWSAccountId"] == DEV.id
    # A bare key id names a key in the caller's own account: B has no such key.
    expect("NotFoundException", 400, session.kms.describe_key, KeyId=key_id)
    # The grant does not include Encrypt.
    msg = denied(session.kms.encrypt, KeyId=key_arn, Plaintext=b"not allowed")
    assert session.arn in msg and "kms:Encrypt" in msg, msg
    denied(session.kms.generate_data_key, KeyId=key_arn, KeySpec="AES_256")

    (listed,) = kms.list_grants(KeyId=key_id)["Grants"]
    assert listed["GrantId"] == grant_id
    assert listed["GranteePrincipal"] == role_arn
    assert sorted(listed["Operations"]) == ["Decrypt", "DescribeKey"]
    assert listed["IssuingAccount"] == DEV.root_arn

    kms.revoke_grant(KeyId=key_id, GrantId=grant_id)
    # Refused on the very next request.
    msg = denied(session.kms.decrypt, CiphertextBlob=blob)
    assert session.arn in msg and "kms:Decrypt" in msg, msg
    denied(session.kms.describe_key, KeyId=key_arn)
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    # A still decrypts its own ciphertext.
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"for the role in B"


def test_seed_cross_account_role_decrypts_through_a_grant_cli(
    server: KmsdServer, make_identity_cli: Callable[..., IdentityCli], tmp_path: Path
) -> None:
    root_a = make_identity_cli(server)
    root_b = make_identity_cli(server, SECOND.root)
    assert root_b("sts", "get-caller-identity")["Account"] == SECOND.id

    # --- account B: a role trusting B, and a user of B allowed to assume it ---
    role_name, user_name = uname("cli-reader"), uname("cli-ops")
    role = root_b(
        "iam", "create-role", "--role-name", role_name,
        "--assume-role-policy-document", json.dumps(trust(SECOND.root_arn)),
    )["Role"]  # fmt: skip
    role_arn = role["Arn"]
    assert role_arn == SECOND.role_arn(role_name)
    root_b("iam", "create-user", "--user-name", user_name)
    root_b(
        "iam", "put-user-policy", "--user-name", user_name, "--policy-name", "assume",
        "--policy-document", doc(allow("sts:AssumeRole", role_arn)),
    )  # fmt: skip
    user_key = root_b("iam", "create-access-key", "--user-name", user_name)["AccessKey"]
    user_b = root_b.as_(Credentials.from_access_key(user_key))
    assumed = user_b("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "nightly")
    session_arn = assumed["AssumedRoleUser"]["Arn"]
    assert session_arn == SECOND.assumed_role_arn(role_name, "nightly")
    session = user_b.as_(Credentials.from_sts(assumed["Credentials"]))
    assert session("sts", "get-caller-identity")["Arn"] == session_arn

    # --- account A: the key and a ciphertext ---
    md = root_a("kms", "create-key", "--description", "seed via the CLI")["KeyMetadata"]
    key_id, key_arn = md["KeyId"], md["Arn"]
    enc = root_a("kms", "encrypt", "--key-id", key_id, "--plaintext", fileb(tmp_path / "pt.bin", b"cli secret"))
    ct = fileb(tmp_path / "ct.bin", base64.b64decode(enc["CiphertextBlob"]))

    err = cli_error(session, "AccessDeniedException", "kms", "decrypt", "--ciphertext-blob", ct)
    assert session_arn in err and "kms:Decrypt" in err, err

    grant = root_a(
        "kms", "create-grant", "--key-id", key_id, "--grantee-principal", role_arn,
        "--operations", "Decrypt", "DescribeKey",
    )  # fmt: skip
    assert GRANT_ID_RE.match(grant["GrantId"]), grant
    assert grant["GrantToken"]
    (listed,) = root_a("kms", "list-grants", "--key-id", key_id)["Grants"]
    assert listed["GrantId"] == grant["GrantId"]
    assert listed["KeyId"] == key_arn
    assert listed["GranteePrincipal"] == role_arn
    assert listed["IssuingAccount"] == DEV.root_arn
    assert sorted(listed["Operations"]) == ["Decrypt", "DescribeKey"]

    out = session("kms", "decrypt", "--ciphertext-blob", ct)
    assert base64.b64decode(out["Plaintext"]) == b"cli secret"
    assert out["KeyId"] == key_arn
    assert session("kms", "describe-key", "--key-id", key_arn)["KeyMetadata"]["Arn"] == key_arn
    err = cli_error(
        session, "AccessDeniedException",
        "kms", "encrypt", "--key-id", key_arn, "--plaintext", fileb(tmp_path / "no.bin", b"no"),
    )  # fmt: skip
    assert session_arn in err and "kms:Encrypt" in err, err

    root_a("kms", "revoke-grant", "--key-id", key_id, "--grant-id", grant["GrantId"])
    cli_error(session, "AccessDeniedException", "kms", "decrypt", "--ciphertext-blob", ct)
    assert root_a("kms", "list-grants", "--key-id", key_id)["Grants"] == []
    cli_error(root_a, "NotFoundException", "kms", "revoke-grant", "--key-id", key_id, "--grant-id", grant["GrantId"])


# =============================================================================================
# Seed: key administrators manage the key, key users use it (the console's default key policy)
# =============================================================================================

KEY_ADMIN_ACTIONS = [
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
]
KEY_USER_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]


def console_key_policy(admin_arn: str, user_arn: str) -> dict[str, Any]:
    """The key policy the KMS console writes for one key administrator and one key user."""
    return policy(
        key_statement("Allow", DEV.root_arn, "kms:*", sid="Enable IAM User Permissions"),
        key_statement("Allow", admin_arn, KEY_ADMIN_ACTIONS, sid="Allow access for Key Administrators"),
        key_statement("Allow", user_arn, KEY_USER_ACTIONS, sid="Allow use of the key"),
        key_statement(
            "Allow",
            user_arn,
            ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            sid="Allow attachment of persistent resources",
        ),
    )


def test_seed_key_administrators_manage_and_key_users_use(
    server: KmsdServer,
    kms: Any,
    make_user: Callable[..., Principal],
    make_identity_cli: Callable[..., IdentityCli],
    tmp_path: Path,
) -> None:
    # Neither has an IAM policy: everything they may do comes from the key policy.
    admin = make_user("key-admin")
    user = make_user("key-user")
    app = make_user("key-app")
    root_cli = make_identity_cli(server)
    key = root_cli("kms", "create-key", "--description", "admins and users")["KeyMetadata"]
    key_id, key_arn = key["KeyId"], key["Arn"]
    document = console_key_policy(admin.arn, user.arn)
    policy_file = tmp_path / "key-policy.json"
    policy_file.write_text(json.dumps(document))
    root_cli(
        "kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{policy_file}"
    )
    got = root_cli("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default")
    assert json.loads(got["Policy"]) == document

    # --- the key user: cryptographic operations, nothing else ---
    blob = user.kms.encrypt(KeyId=key_id, Plaintext=b"user data")["CiphertextBlob"]
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"
    data_key = user.kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert user.kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    user.kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=16)
    re_encrypted = user.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)["CiphertextBlob"]
    assert user.kms.decrypt(CiphertextBlob=re_encrypted)["Plaintext"] == b"user data"
    assert user.kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"] == key_arn
    msg = denied(user.kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy=json.dumps(document))
    assert user.arn in msg and "kms:PutKeyPolicy" in msg, msg
    denied(user.kms.disable_key, KeyId=key_id)
    denied(user.kms.get_key_policy, KeyId=key_id, PolicyName="default")
    # The persistent-resources statement needs kms:GrantIsForAWSResource, true only for AWS services.
    denied(user.kms.create_grant, KeyId=key_id, GranteePrincipal=app.arn, Operations=["Decrypt"])
    denied(user.kms.list_grants, KeyId=key_id)
    user_cli = root_cli.as_(user.creds)
    err = cli_error(
        user_cli, "AccessDeniedException",
        "kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", f"file://{policy_file}",
    )  # fmt: skip
    assert "kms:PutKeyPolicy" in err, err

    # --- the key administrator: management, no cryptography ---
    assert admin.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert json.loads(admin.kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == document
    assert admin.kms.list_key_policies(KeyId=key_id)["PolicyNames"] == ["default"]
    msg = denied(admin.kms.encrypt, KeyId=key_id, Plaintext=b"admin data")
    assert admin.arn in msg and "kms:Encrypt" in msg, msg
    denied(admin.kms.decrypt, CiphertextBlob=blob)
    denied(admin.kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    admin_cli = root_cli.as_(admin.creds)
    err = cli_error(
        admin_cli, "AccessDeniedException", "kms", "decrypt", "--ciphertext-blob", fileb(tmp_path / "ct", blob)
    )
    assert admin.arn in err and "kms:Decrypt" in err, err

    admin.kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Owner", "TagValue": "platform"}])
    admin.kms.update_key_description(KeyId=key_id, Description="managed by the key admin")
    admin.kms.disable_key(KeyId=key_id)
    assert admin.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    expect("DisabledException", 400, user.kms.encrypt, KeyId=key_id, Plaintext=b"x")
    admin_cli("kms", "enable-key", "--key-id", key_id)
    assert admin.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"

    # kms:Create* covers CreateGrant and kms:Revoke* RevokeGrant: an administrator can hand out use of the key.
    denied(app.kms.decrypt, CiphertextBlob=blob)
    grant_id = admin.kms.create_grant(KeyId=key_id, GranteePrincipal=app.arn, Operations=["Decrypt"])["GrantId"]
    assert app.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"
    assert grant_ids(admin.kms.list_grants(KeyId=key_id)["Grants"]) == [grant_id]
    admin.kms.revoke_grant(KeyId=key_id, GrantId=grant_id)
    denied(app.kms.decrypt, CiphertextBlob=blob)

    # kms:Put* lets the administrator change the policy; the user is still refused.
    document["Statement"][2]["Action"] = ["kms:Decrypt", "kms:DescribeKey"]
    admin.kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(document))
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"user data"
    denied(user.kms.encrypt, KeyId=key_id, Plaintext=b"now refused")


def test_seed_key_administrators_schedule_and_cancel_deletion_key_users_cannot(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    admin, user = make_user("del-admin"), make_user("del-user")
    key_id = kms.create_key(Description="deletion by the key admin")["KeyMetadata"]["KeyId"]
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(console_key_policy(admin.arn, user.arn)))
    blob = user.kms.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    msg = denied(user.kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=7)
    assert user.arn in msg and "kms:ScheduleKeyDeletion" in msg, msg
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    scheduled = admin.kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    expect("KMSInvalidStateException", 400, user.kms.decrypt, CiphertextBlob=blob)
    denied(user.kms.cancel_key_deletion, KeyId=key_id)
    admin.kms.cancel_key_deletion(KeyId=key_id)
    assert admin.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"  # AWS leaves it disabled
    admin.kms.enable_key(KeyId=key_id)
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


# =============================================================================================
# Lifecycle and ListGrants
# =============================================================================================


def test_list_grants_shows_every_field_of_a_grant(kms: Any, make_user: Callable[..., Principal]) -> None:
    key = kms.create_key()["KeyMetadata"]
    grantee, retiring, other = make_user("lg-grantee"), make_user("lg-retiring"), make_user("lg-other")
    name = uname("lg-grant")
    before = now()
    created = kms.create_grant(
        KeyId=key["Arn"],  # the key ARN works as well as the key id
        GranteePrincipal=grantee.arn,
        RetiringPrincipal=retiring.arn,
        Operations=["Encrypt", "Decrypt", "GenerateDataKey", "RetireGrant"],
        Constraints={"EncryptionContextSubset": {"app": "ledger"}},
        Name=name,
    )
    assert GRANT_ID_RE.match(created["GrantId"]), created["GrantId"]
    assert created["GrantToken"] and created["GrantToken"] != created["GrantId"]
    plain = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=other.arn, Operations=["DescribeKey"])

    page = kms.list_grants(KeyId=key["KeyId"])
    assert page["Truncated"] is False
    assert "NextMarker" not in page
    by_id = {g["GrantId"]: g for g in page["Grants"]}
    assert sorted(by_id) == sorted([created["GrantId"], plain["GrantId"]])

    g = by_id[created["GrantId"]]
    assert g["KeyId"] == key["Arn"]
    assert g["Name"] == name
    assert isinstance(g["CreationDate"], datetime.datetime)
    assert before - datetime.timedelta(minutes=5) <= g["CreationDate"] <= now() + datetime.timedelta(minutes=5)
    assert g["GranteePrincipal"] == grantee.arn
    assert g["RetiringPrincipal"] == retiring.arn
    assert g["IssuingAccount"] == "arn:aws:iam::111122223333:root"
    assert sorted(g["Operations"]) == ["Decrypt", "Encrypt", "GenerateDataKey", "RetireGrant"]
    assert g["Constraints"] == {"EncryptionContextSubset": {"app": "ledger"}}

    # Absent members are absent, not empty.
    p = by_id[plain["GrantId"]]
    assert p["KeyId"] == key["Arn"]
    assert p["Operations"] == ["DescribeKey"]
    assert p["IssuingAccount"] == DEV.root_arn
    for member in ("Name", "RetiringPrincipal", "Constraints"):
        assert member not in p, (member, p)

    # Filters: by grant id and by grantee principal.
    assert grant_ids(kms.list_grants(KeyId=key["KeyId"], GrantId=plain["GrantId"])["Grants"]) == [plain["GrantId"]]
    by_grantee = kms.list_grants(KeyId=key["Arn"], GranteePrincipal=grantee.arn)["Grants"]
    assert grant_ids(by_grantee) == [created["GrantId"]]
    assert kms.list_grants(KeyId=key["KeyId"], GranteePrincipal=retiring.arn)["Grants"] == []
    # Another key's grants are not listed.
    assert kms.list_grants(KeyId=kms.create_key()["KeyMetadata"]["KeyId"])["Grants"] == []


def test_list_grants_pages_with_limit_and_marker(kms: Any, make_user: Callable[..., Principal]) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = make_user("page-grantee")
    made = [
        kms.create_grant(KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Decrypt"])["GrantId"]
        for _ in range(5)
    ]
    assert len(set(made)) == 5, "grants without a Name are distinct even when identical"
    first = kms.list_grants(KeyId=key_id, Limit=2)
    assert len(first["Grants"]) == 2
    assert first["Truncated"] is True and first["NextMarker"]
    second = kms.list_grants(KeyId=key_id, Limit=2, Marker=first["NextMarker"])
    assert len(second["Grants"]) == 2 and second["Truncated"] is True
    third = kms.list_grants(KeyId=key_id, Limit=2, Marker=second["NextMarker"])
    assert len(third["Grants"]) == 1
    assert third["Truncated"] is False and "NextMarker" not in third
    assert grant_ids(first["Grants"] + second["Grants"] + third["Grants"]) == sorted(made)
    # boto3's paginator walks the same pages.
    paged = [
        g
        for p in kms.get_paginator("list_grants").paginate(KeyId=key_id, PaginationConfig={"PageSize": 2})
        for g in p["Grants"]
    ]
    assert grant_ids(paged) == sorted(made)


def test_list_grants_bad_limit_and_marker(server: KmsdServer, kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    raw = aws_client(server, "kms", parameter_validation=False)
    expect("ValidationException", 400, raw.list_grants, KeyId=key_id, Limit=0)
    expect("InvalidMarkerException", 400, kms.list_grants, KeyId=key_id, Marker="not-a-marker-kmsd-issued")
    expect("NotFoundException", 400, kms.list_grants, KeyId=str(uuid.uuid4()))


def test_name_makes_create_grant_idempotent_with_interchangeable_tokens(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"named")["CiphertextBlob"]
    grantee = make_user("named-grantee")
    name = uname("retry-safe")
    params = {"KeyId": key_id, "GranteePrincipal": grantee.arn, "Operations": ["Decrypt"], "Name": name}
    first = kms.create_grant(**params)
    second = kms.create_grant(**params)
    assert second["GrantId"] == first["GrantId"]
    assert second["GrantToken"] != first["GrantToken"]
    (listed,) = kms.list_grants(KeyId=key_id)["Grants"]
    assert listed["GrantId"] == first["GrantId"] and listed["Name"] == name
    # Either token works, as does none.
    for tokens in ([first["GrantToken"]], [second["GrantToken"]], [first["GrantToken"], second["GrantToken"]], []):
        assert grantee.kms.decrypt(CiphertextBlob=blob, GrantTokens=tokens)["Plaintext"] == b"named"
    # A forged token is refused, even beside a good one.
    token = first["GrantToken"]
    forged = token[:-8] + ("B" * 8 if token.endswith("A" * 8) else "A" * 8)
    for tokens in (["not-a-grant-token"], [token, forged]):
        expect("InvalidGrantTokenException", 400, grantee.kms.decrypt, CiphertextBlob=blob, GrantTokens=tokens)
    expect("InvalidGrantTokenException", 400, kms.encrypt, KeyId=key_id, Plaintext=b"x", GrantTokens=["garbage"])
    # Without a Name, the same request twice is two grants.
    again = {k: v for k, v in params.items() if k != "Name"}
    one, two = kms.create_grant(**again)["GrantId"], kms.create_grant(**again)["GrantId"]
    assert one != two
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 3


def test_grant_allows_its_operations_at_once_and_nothing_else(kms: Any, make_user: Callable[..., Principal]) -> None:
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"granted")["CiphertextBlob"]
    grantee = make_user("plain-grantee")  # no IAM policy; the default key policy only delegates to IAM
    denied(grantee.kms.decrypt, CiphertextBlob=blob)
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee.arn,
        Operations=["Decrypt", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo"],
    )
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"granted"
    grantee.kms.generate_data_key_without_plaintext(KeyId=key["Arn"], KeySpec="AES_256")
    reenc = grantee.kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key["KeyId"])["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=reenc)["Plaintext"] == b"granted"
    denied(grantee.kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256")
    denied(grantee.kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    denied(grantee.kms.describe_key, KeyId=key["KeyId"])
    denied(grantee.kms.disable_key, KeyId=key["KeyId"])
    denied(grantee.kms.list_grants, KeyId=key["KeyId"])
    # A grant for one key says nothing about another.
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    denied(grantee.kms.decrypt, CiphertextBlob=kms.encrypt(KeyId=other, Plaintext=b"y")["CiphertextBlob"])


def test_grant_to_a_role_covers_its_sessions_and_to_a_session_only_that_session(
    server: KmsdServer, kms: Any, iam: Any
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"sessions")["CiphertextBlob"]
    role_arn, (first, second) = make_role_sessions(server, iam, DEV, "first", "second")
    session_grant = kms.create_grant(KeyId=key_id, GranteePrincipal=first.arn, Operations=["Decrypt"])["GrantId"]
    assert first.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sessions"
    denied(second.kms.decrypt, CiphertextBlob=blob)
    kms.revoke_grant(KeyId=key_id, GrantId=session_grant)
    denied(first.kms.decrypt, CiphertextBlob=blob)
    kms.create_grant(KeyId=key_id, GranteePrincipal=role_arn, Operations=["Decrypt"])
    for session in (first, second):
        assert session.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sessions"


# =============================================================================================
# Retiring and revoking
# =============================================================================================


def test_retire_by_token_and_by_key_arn_and_grant_id(kms: Any, make_user: Callable[..., Principal]) -> None:
    key = kms.create_key()["KeyMetadata"]
    key_id, key_arn = key["KeyId"], key["Arn"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"retire me")["CiphertextBlob"]
    grantee, retiring = make_user("rt-grantee"), make_user("rt-retiring")

    # 1. The retiring principal retires by key ARN + grant id.
    g1 = kms.create_grant(
        KeyId=key_id, GranteePrincipal=grantee.arn, RetiringPrincipal=retiring.arn, Operations=["Decrypt"]
    )
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"retire me"
    retiring.kms.retire_grant(KeyId=key_arn, GrantId=g1["GrantId"])
    denied(grantee.kms.decrypt, CiphertextBlob=blob)
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    expect("NotFoundException", 400, retiring.kms.retire_grant, KeyId=key_arn, GrantId=g1["GrantId"])

    # 2. A grantee whose grant includes RetireGrant retires it with its token; a constraint does not apply.
    g2 = kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=grantee.arn,
        Operations=["Decrypt", "RetireGrant"],
        Constraints={"EncryptionContextEquals": {"purpose": "retire-test"}},
    )
    assert grant_ids(kms.list_grants(KeyId=key_id)["Grants"]) == [g2["GrantId"]]
    grantee.kms.retire_grant(GrantToken=g2["GrantToken"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    # ... or with the key ARN and the grant id.
    g2b = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Decrypt", "RetireGrant"])
    grantee.kms.retire_grant(KeyId=key_arn, GrantId=g2b["GrantId"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []

    # 3. The root of the key's (and issuing) account retires by key ARN + grant id.
    g3 = kms.create_grant(KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Decrypt"])
    kms.retire_grant(KeyId=key_arn, GrantId=g3["GrantId"])
    denied(grantee.kms.decrypt, CiphertextBlob=blob)
    assert kms.list_grants(KeyId=key_id)["Grants"] == []


def test_retire_is_refused_for_unrelated_principals(
    server: KmsdServer, kms: Any, kms2: Any, make_user: Callable[..., Principal]
) -> None:
    key = kms.create_key()["KeyMetadata"]
    grantee, retiring = make_user("rr-grantee"), make_user("rr-retiring")
    bystander = make_user("rr-bystander", allow("kms:ListKeys"))
    foreign = make_user("rr-foreign", account=SECOND)
    g = kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=grantee.arn, RetiringPrincipal=retiring.arn, Operations=["Decrypt"]
    )
    for principal in (bystander, foreign):
        msg = denied(principal.kms.retire_grant, KeyId=key["Arn"], GrantId=g["GrantId"])
        assert "kms:RetireGrant" in msg, msg
        denied(principal.kms.retire_grant, GrantToken=g["GrantToken"])
    # The grantee without RetireGrant in its grant may not retire it either.
    denied(grantee.kms.retire_grant, GrantToken=g["GrantToken"])
    denied(grantee.kms.retire_grant, KeyId=key["Arn"], GrantId=g["GrantId"])
    # Nor the root of another account, which neither issued the grant nor owns the key.
    denied(kms2.retire_grant, KeyId=key["Arn"], GrantId=g["GrantId"])
    assert grant_ids(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == [g["GrantId"]]
    retiring.kms.retire_grant(GrantToken=g["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_revoke_grant_needs_kms_revoke_grant_in_a_policy(kms: Any, make_user: Callable[..., Principal]) -> None:
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"revoke")["CiphertextBlob"]
    grantee = make_user("rv-grantee")
    revoker = make_user("rv-revoker", allow("kms:RevokeGrant", key["Arn"]))
    g = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee.arn, Operations=["Decrypt", "RetireGrant"])
    # A grant can't give RevokeGrant: the grantee (who could retire it) may not revoke it.
    msg = denied(grantee.kms.revoke_grant, KeyId=key["KeyId"], GrantId=g["GrantId"])
    assert "kms:RevokeGrant" in msg, msg
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"revoke"
    # The default key policy delegates to IAM: an identity policy allowing kms:RevokeGrant is enough.
    revoker.kms.revoke_grant(KeyId=key["Arn"], GrantId=g["GrantId"])
    denied(grantee.kms.decrypt, CiphertextBlob=blob)
    expect("NotFoundException", 400, kms.revoke_grant, KeyId=key["KeyId"], GrantId=g["GrantId"])


def test_unknown_and_malformed_grant_ids(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    ghost = random_grant_id()
    expect("NotFoundException", 400, kms.revoke_grant, KeyId=key["KeyId"], GrantId=ghost)
    expect("NotFoundException", 400, kms.retire_grant, KeyId=key["Arn"], GrantId=ghost)
    for bad in ("not-a-grant-id", "1234", "Z" * 64):
        expect("InvalidGrantIdException", 400, kms.revoke_grant, KeyId=key["KeyId"], GrantId=bad)
        expect("InvalidGrantIdException", 400, kms.retire_grant, KeyId=key["Arn"], GrantId=bad)
    expect("InvalidGrantTokenException", 400, kms.retire_grant, GrantToken="this-is-no-grant-token")
    # A grant id of another key is unknown for this one.
    other = kms.create_key()["KeyMetadata"]
    g = kms.create_grant(KeyId=other["KeyId"], GranteePrincipal=DEV.root_arn, Operations=["Decrypt"])
    expect("NotFoundException", 400, kms.revoke_grant, KeyId=key["KeyId"], GrantId=g["GrantId"])
    assert grant_ids(kms.list_grants(KeyId=other["KeyId"])["Grants"]) == [g["GrantId"]]


# =============================================================================================
# Constraints
# =============================================================================================


def test_encryption_context_equals_constraint(kms: Any, make_user: Callable[..., Principal]) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = make_user("eq-grantee")
    ctx = {"dept": "it"}
    kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=grantee.arn,
        Operations=["Encrypt", "Decrypt", "DescribeKey"],
        Constraints={"EncryptionContextEquals": ctx},
    )
    blob = grantee.kms.encrypt(KeyId=key_id, Plaintext=b"eq", EncryptionContext=ctx)["CiphertextBlob"]
    assert grantee.kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == b"eq"
    for refused in ({}, {"dept": "hr"}, {"dept": "it", "extra": "pair"}, {"dept": "IT"}, {"Dept": "it"}):
        denied(grantee.kms.encrypt, KeyId=key_id, Plaintext=b"eq", EncryptionContext=refused)
    # A ciphertext under a larger context: the request context is no longer equal.
    wider = {"dept": "it", "extra": "pair"}
    wide_blob = kms.encrypt(KeyId=key_id, Plaintext=b"wide", EncryptionContext=wider)["CiphertextBlob"]
    denied(grantee.kms.decrypt, CiphertextBlob=wide_blob, EncryptionContext=wider)
    # DescribeKey takes no context: the constraint does not apply to it.
    assert grantee.kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id


def test_encryption_context_subset_constraint(kms: Any, make_user: Callable[..., Principal]) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = make_user("sub-grantee")
    kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=grantee.arn,
        Operations=["Encrypt", "Decrypt", "GenerateDataKey"],
        Constraints={"EncryptionContextSubset": {"dept": "it"}},
    )
    for ok in ({"dept": "it"}, {"dept": "it", "project": "x"}, {"project": "y", "dept": "it", "z": "1"}):
        blob = grantee.kms.encrypt(KeyId=key_id, Plaintext=b"sub", EncryptionContext=ok)["CiphertextBlob"]
        assert grantee.kms.decrypt(CiphertextBlob=blob, EncryptionContext=ok)["Plaintext"] == b"sub"
    dk = grantee.kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext={"dept": "it", "n": "1"})
    assert len(dk["Plaintext"]) == 32
    for refused in ({}, {"dept": "hr"}, {"project": "x"}, {"dept": "IT"}):
        denied(grantee.kms.encrypt, KeyId=key_id, Plaintext=b"sub", EncryptionContext=refused)
    denied(grantee.kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    hr = {"dept": "hr"}
    hr_blob = kms.encrypt(KeyId=key_id, Plaintext=b"hr", EncryptionContext=hr)["CiphertextBlob"]
    denied(grantee.kms.decrypt, CiphertextBlob=hr_blob, EncryptionContext=hr)


@pytest.mark.parametrize("operation", ["Sign", "Verify", "GetPublicKey", "GenerateMac", "VerifyMac"])
def test_operations_a_symmetric_key_does_not_support_are_validation_errors(
    kms: Any, make_user: Callable[..., Principal], operation: str
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    grantee = make_user("unfit")
    expect(
        "ValidationException", 400, kms.create_grant, KeyId=key_id, GranteePrincipal=grantee.arn, Operations=[operation]
    )
    expect(
        "ValidationException", 400, kms.create_grant,
        KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Decrypt", operation],
        Constraints={"EncryptionContextSubset": {"a": "b"}},
    )  # fmt: skip
    assert kms.list_grants(KeyId=key_id)["Grants"] == []


# =============================================================================================
# Grants created through a grant
# =============================================================================================


def test_a_grantee_with_create_grant_passes_on_only_what_it_holds(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    key = kms.create_key()["KeyMetadata"]
    key_id = key["KeyId"]
    carol, dave = make_user("parent-grantee"), make_user("child-grantee")
    it = {"dept": "it"}
    parent = kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=carol.arn,
        Operations=["Encrypt", "Decrypt", "CreateGrant"],
        Constraints={"EncryptionContextSubset": it},
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"child", EncryptionContext={"dept": "it", "team": "a"})[
        "CiphertextBlob"
    ]

    # Refused: an operation carol does not hold, and constraints weaker than hers (or none).
    msg = denied(
        carol.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["ReEncryptFrom"],
        Constraints={"EncryptionContextSubset": it},
    )
    assert "kms:CreateGrant" in msg, msg
    denied(carol.kms.create_grant, KeyId=key_id, GranteePrincipal=dave.arn, Operations=["Decrypt"])
    denied(
        carol.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"team": "a"}},
    )
    denied(
        carol.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"dept": "hr"}},
    )
    denied(
        carol.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["Decrypt", "GenerateDataKey"],
        Constraints={"EncryptionContextSubset": it},
    )
    assert grant_ids(kms.list_grants(KeyId=key_id)["Grants"]) == [parent["GrantId"]]

    # Allowed: a subset of her operations, with her pairs and more.
    child = carol.kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"dept": "it", "team": "a"}},
    )
    assert dave.kms.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "it", "team": "a"})["Plaintext"] == b"child"
    denied(dave.kms.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionContext={"dept": "it", "team": "a"})
    # An exact context that contains her pairs is stricter still.
    strict = carol.kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=dave.arn,
        Operations=["Encrypt"],
        Constraints={"EncryptionContextEquals": {"dept": "it", "team": "b"}},
    )
    dave.kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext={"dept": "it", "team": "b"})
    denied(dave.kms.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionContext={"dept": "it"})

    listed = {g["GrantId"]: g for g in kms.list_grants(KeyId=key_id)["Grants"]}
    assert sorted(listed) == sorted([parent["GrantId"], child["GrantId"], strict["GrantId"]])
    assert listed[child["GrantId"]]["GranteePrincipal"] == dave.arn
    assert listed[child["GrantId"]]["IssuingAccount"] == DEV.root_arn
    assert listed[child["GrantId"]]["Constraints"] == {"EncryptionContextSubset": {"dept": "it", "team": "a"}}

    # Without CreateGrant in a grant, a grantee creates nothing.
    denied(
        dave.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=carol.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": {"dept": "it", "team": "a"}},
    )


def test_an_equals_parent_allows_only_the_same_exact_context(kms: Any, make_user: Callable[..., Principal]) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    erin, frank = make_user("eq-parent"), make_user("eq-child")
    exact = {"dept": "it"}
    kms.create_grant(
        KeyId=key_id,
        GranteePrincipal=erin.arn,
        Operations=["Decrypt", "CreateGrant"],
        Constraints={"EncryptionContextEquals": exact},
    )
    denied(
        erin.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=frank.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextSubset": exact},
    )
    denied(
        erin.kms.create_grant,
        KeyId=key_id,
        GranteePrincipal=frank.arn,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextEquals": {"dept": "it", "x": "y"}},
    )
    denied(erin.kms.create_grant, KeyId=key_id, GranteePrincipal=frank.arn, Operations=["Decrypt"])
    erin.kms.create_grant(
        KeyId=key_id, GranteePrincipal=frank.arn, Operations=["Decrypt"], Constraints={"EncryptionContextEquals": exact}
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"exact", EncryptionContext=exact)["CiphertextBlob"]
    assert frank.kms.decrypt(CiphertextBlob=blob, EncryptionContext=exact)["Plaintext"] == b"exact"


# =============================================================================================
# DryRun and invalid input
# =============================================================================================


def test_dry_run_checks_and_changes_nothing(kms: Any, make_user: Callable[..., Principal]) -> None:
    key = kms.create_key()["KeyMetadata"]
    grantee, outsider = make_user("dry-grantee"), make_user("dry-outsider")
    expect(
        "DryRunOperationException",
        412,
        kms.create_grant,
        KeyId=key["KeyId"],
        GranteePrincipal=grantee.arn,
        Operations=["Decrypt"],
        DryRun=True,
    )
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    # A dry run still checks permission.
    denied(
        outsider.kms.create_grant, KeyId=key["KeyId"], GranteePrincipal=grantee.arn, Operations=["Decrypt"], DryRun=True
    )

    g = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee.arn, Operations=["Decrypt", "RetireGrant"])
    expect("DryRunOperationException", 412, kms.revoke_grant, KeyId=key["KeyId"], GrantId=g["GrantId"], DryRun=True)
    expect("DryRunOperationException", 412, grantee.kms.retire_grant, GrantToken=g["GrantToken"], DryRun=True)
    expect("DryRunOperationException", 412, kms.retire_grant, KeyId=key["Arn"], GrantId=g["GrantId"], DryRun=True)
    assert grant_ids(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == [g["GrantId"]]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"dry")["CiphertextBlob"]
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"dry"


@pytest.mark.parametrize(
    "principal",
    [
        DEV.group_arn("admins"),
        "dynamodb.amazonaws.com",
        "nobody",
        "arn:aws:iam::111122223333",
        "arn:aws:s3:::some-bucket",
    ],
    ids=["group-arn", "service-principal", "garbage", "truncated-arn", "not-a-principal-arn"],
)
def test_invalid_principals_are_invalid_arn(kms: Any, principal: str) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect(
        "InvalidArnException", 400, kms.create_grant, KeyId=key_id, GranteePrincipal=principal, Operations=["Decrypt"]
    )
    expect(
        "InvalidArnException", 400, kms.create_grant,
        KeyId=key_id, GranteePrincipal=DEV.root_arn, RetiringPrincipal=principal, Operations=["Decrypt"],
    )  # fmt: skip
    assert kms.list_grants(KeyId=key_id)["Grants"] == []


def test_create_grant_on_a_missing_key_is_not_found(kms: Any) -> None:
    expect(
        "NotFoundException",
        400,
        kms.create_grant,
        KeyId=str(uuid.uuid4()),
        GranteePrincipal=DEV.root_arn,
        Operations=["Decrypt"],
    )
    expect(
        "NotFoundException", 400, kms.create_grant,
        KeyId=DEV.key_arn_prefix() + str(uuid.uuid4()), GranteePrincipal=DEV.root_arn, Operations=["Decrypt"],
    )  # fmt: skip


# =============================================================================================
# ListRetirableGrants
# =============================================================================================


def test_list_retirable_grants_pages_across_keys_and_accounts(
    kms: Any, kms2: Any, make_user: Callable[..., Principal]
) -> None:
    retiring, grantee = make_user("lrg-retiring"), make_user("lrg-grantee")
    keys = [kms.create_key()["KeyMetadata"] for _ in range(2)]
    made: dict[str, str] = {}  # grant id -> key ARN
    for key in (keys[0], keys[0], keys[1]):
        gid = kms.create_grant(
            KeyId=key["KeyId"], GranteePrincipal=grantee.arn, RetiringPrincipal=retiring.arn, Operations=["Decrypt"]
        )["GrantId"]
        made[gid] = key["Arn"]
    # A key of 098765432109 naming our user as retiring principal: listed too, in its own account.
    theirs = kms2.create_key()["KeyMetadata"]
    assert theirs["AWSAccountId"] == SECOND.id
    gid = kms2.create_grant(
        KeyId=theirs["KeyId"], GranteePrincipal=grantee.arn, RetiringPrincipal=retiring.arn, Operations=["Decrypt"]
    )["GrantId"]
    made[gid] = theirs["Arn"]
    # Grants retirable by someone else are not listed.
    kms.create_grant(
        KeyId=keys[0]["KeyId"], GranteePrincipal=grantee.arn, RetiringPrincipal=grantee.arn, Operations=["Decrypt"]
    )

    first = kms.list_retirable_grants(RetiringPrincipal=retiring.arn, Limit=3)
    assert len(first["Grants"]) == 3
    assert first["Truncated"] is True and first["NextMarker"]
    rest = kms.list_retirable_grants(RetiringPrincipal=retiring.arn, Limit=3, Marker=first["NextMarker"])
    assert len(rest["Grants"]) == 1
    assert rest["Truncated"] is False and "NextMarker" not in rest
    seen = first["Grants"] + rest["Grants"]
    assert {g["GrantId"]: g["KeyId"] for g in seen} == made
    for g in seen:
        assert g["RetiringPrincipal"] == retiring.arn
        assert g["GranteePrincipal"] == grantee.arn
        assert g["IssuingAccount"] == (SECOND.root_arn if g["KeyId"] == theirs["Arn"] else DEV.root_arn)
    one_by_one = []
    marker: dict[str, str] = {}
    for _ in range(10):
        page = kms.list_retirable_grants(RetiringPrincipal=retiring.arn, Limit=1, **marker)
        one_by_one += page["Grants"]
        if not page["Truncated"]:
            break
        marker = {"Marker": page["NextMarker"]}
    assert sorted(g["GrantId"] for g in one_by_one) == sorted(made)

    # The retiring principal retires the grant on the other account's key (by key ARN + id).
    retiring.kms.retire_grant(KeyId=theirs["Arn"], GrantId=gid)
    assert kms2.list_grants(KeyId=theirs["KeyId"])["Grants"] == []
    left = kms.list_retirable_grants(RetiringPrincipal=retiring.arn)["Grants"]
    assert sorted(g["GrantId"] for g in left) == sorted(k for k in made if k != gid)


def test_list_retirable_grants_needs_iam_permission_and_a_principal_of_the_callers_account(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    retiring = make_user("lrg2-retiring")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    gid = kms.create_grant(
        KeyId=key_id, GranteePrincipal=DEV.root_arn, RetiringPrincipal=retiring.arn, Operations=["Decrypt"]
    )["GrantId"]
    nobody = make_user("lrg2-nobody")
    msg = denied(nobody.kms.list_retirable_grants, RetiringPrincipal=retiring.arn)
    assert "kms:ListRetirableGrants" in msg, msg
    lister = make_user("lrg2-lister", allow("kms:ListRetirableGrants"))
    assert grant_ids(lister.kms.list_retirable_grants(RetiringPrincipal=retiring.arn)["Grants"]) == [gid]
    # Only a principal in the caller's own account may be named.
    denied(lister.kms.list_retirable_grants, RetiringPrincipal=SECOND.user_arn("someone"))
    denied(kms.list_retirable_grants, RetiringPrincipal=SECOND.root_arn)


# =============================================================================================
# Grants and the policies around them
# =============================================================================================


def test_grant_to_an_account_root_delegates_through_that_accounts_iam(
    kms2: Any, make_user: Callable[..., Principal]
) -> None:
    # The key is in 098765432109 with its default policy (only 098765432109 itself).
    key = kms2.create_key(Description="grant to 111122223333")["KeyMetadata"]
    blob = kms2.encrypt(KeyId=key["KeyId"], Plaintext=b"delegated")["CiphertextBlob"]
    allowed = make_user("acct-allowed", allow(["kms:Decrypt", "kms:DescribeKey"], key["Arn"]))
    other_key = make_user("acct-wrongkey", allow("kms:Decrypt", SECOND.key_arn_prefix() + str(uuid.uuid4())))
    bare = make_user("acct-bare")
    denied(allowed.kms.decrypt, CiphertextBlob=blob)  # the key policy does not trust 111122223333

    g = kms2.create_grant(KeyId=key["KeyId"], GranteePrincipal=DEV.root_arn, Operations=["Decrypt", "DescribeKey"])
    (listed,) = kms2.list_grants(KeyId=key["KeyId"])["Grants"]
    assert listed["GranteePrincipal"] == DEV.root_arn
    assert listed["IssuingAccount"] == SECOND.root_arn
    # The account's IAM decides who in it may use the grant.
    assert allowed.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"delegated"
    assert allowed.kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["AWSAccountId"] == SECOND.id
    denied(bare.kms.decrypt, CiphertextBlob=blob)
    denied(other_key.kms.decrypt, CiphertextBlob=blob)
    # The identity policy allows no Encrypt, and the grant has none: refused either way.
    denied(allowed.kms.encrypt, KeyId=key["Arn"], Plaintext=b"x")
    kms2.revoke_grant(KeyId=key["KeyId"], GrantId=g["GrantId"])
    denied(allowed.kms.decrypt, CiphertextBlob=blob)


def test_a_grant_created_from_another_account_is_issued_by_that_account(
    kms: Any, make_user: Callable[..., Principal], kms2: Any
) -> None:
    """The key policy of a 111122223333 key lets 098765432109 create grants; a user of 098765432109 allowed
    kms:CreateGrant on the key by IAM creates one: its IssuingAccount is 098765432109, whose root may retire it."""
    key = kms.create_key(Description="grants made by a partner")["KeyMetadata"]
    kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=key_policy(key_statement("Allow", SECOND.root_arn, ["kms:CreateGrant", "kms:DescribeKey"])),
    )
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"partner")["CiphertextBlob"]
    maker = make_user("xacct-maker", allow("kms:CreateGrant", key["Arn"]), account=SECOND)
    reader = make_user("xacct-reader", account=SECOND)
    bystander = make_user("xacct-bystander", account=SECOND)
    denied(bystander.kms.create_grant, KeyId=key["Arn"], GranteePrincipal=reader.arn, Operations=["Decrypt"])
    denied(reader.kms.decrypt, CiphertextBlob=blob)

    g = maker.kms.create_grant(KeyId=key["Arn"], GranteePrincipal=reader.arn, Operations=["Decrypt"])
    (listed,) = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert listed["GrantId"] == g["GrantId"]
    assert listed["IssuingAccount"] == SECOND.root_arn
    assert listed["KeyId"] == key["Arn"]
    assert listed["GranteePrincipal"] == reader.arn
    assert reader.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"partner"
    # Across accounts the key must be named by its ARN: a bare key id is looked up in the caller's account.
    expect(
        "NotFoundException", 400, maker.kms.create_grant,
        KeyId=key["KeyId"], GranteePrincipal=reader.arn, Operations=["Decrypt"],
    )  # fmt: skip
    # The root of the issuing account retires it.
    kms2.retire_grant(KeyId=key["Arn"], GrantId=g["GrantId"])
    denied(reader.kms.decrypt, CiphertextBlob=blob)
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_explicit_deny_in_an_identity_policy_beats_a_grant(
    iam: Any, kms: Any, make_user: Callable[..., Principal]
) -> None:
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"deny wins")["CiphertextBlob"]
    grantee = make_user("deny-grantee")
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee.arn, Operations=["Encrypt", "Decrypt"])
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"deny wins"
    user_name = grantee.arn.rsplit("/", 1)[1]
    iam.put_user_policy(UserName=user_name, PolicyName="no-decrypt", PolicyDocument=doc(deny("kms:Decrypt")))
    msg = denied(grantee.kms.decrypt, CiphertextBlob=blob)
    assert "explicit deny" in msg.lower(), msg
    grantee.kms.encrypt(KeyId=key["KeyId"], Plaintext=b"still granted")
    iam.delete_user_policy(UserName=user_name, PolicyName="no-decrypt")
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"deny wins"


def test_explicit_deny_in_the_key_policy_beats_a_grant(kms: Any, make_user: Callable[..., Principal]) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"key policy deny")["CiphertextBlob"]
    grantee = make_user("kpdeny-grantee")
    kms.create_grant(KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Encrypt", "Decrypt"])
    kms.put_key_policy(
        KeyId=key_id, PolicyName="default", Policy=key_policy(key_statement("Deny", grantee.arn, "kms:Decrypt"))
    )
    msg = denied(grantee.kms.decrypt, CiphertextBlob=blob)
    assert "explicit deny" in msg.lower(), msg
    grantee.kms.encrypt(KeyId=key_id, Plaintext=b"encrypt is not denied")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=key_policy())
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"key policy deny"


def test_key_policy_conditions_on_grant_operations_and_grant_is_for_aws_resource_decide_create_grant(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    delegator, app = make_user("delegator"), make_user("delegated-app")

    def set_condition(condition: dict[str, Any]) -> None:
        kms.put_key_policy(
            KeyId=key_id,
            PolicyName="default",
            Policy=key_policy(key_statement("Allow", delegator.arn, "kms:CreateGrant", condition)),
        )

    def create(*operations: str) -> dict[str, Any]:
        out: dict[str, Any] = delegator.kms.create_grant(
            KeyId=key_id, GranteePrincipal=app.arn, Operations=list(operations)
        )
        return out

    set_condition({"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "Decrypt", "GenerateDataKey"]}})
    assert GRANT_ID_RE.match(create("Decrypt")["GrantId"])
    create("Encrypt", "Decrypt", "GenerateDataKey")
    msg = denied(create, "Decrypt", "ReEncryptFrom")
    assert delegator.arn in msg and "kms:CreateGrant" in msg, msg
    denied(create, "CreateGrant")
    denied(create, "RetireGrant")
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 2

    set_condition({"Bool": {"kms:GrantIsForAWSResource": "true"}})
    denied(create, "Decrypt")
    set_condition({"Bool": {"kms:GrantIsForAWSResource": "false"}})
    create("Decrypt")
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 3


def test_key_policy_conditions_on_grantee_retiring_principal_and_constraint_type(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    delegator, app, ops, stranger = (make_user(p) for p in ("cond-delegator", "cond-app", "cond-ops", "cond-stranger"))
    condition = {
        "StringEquals": {
            "kms:GranteePrincipal": app.arn,
            "kms:RetiringPrincipal": ops.arn,
            "kms:GrantConstraintType": "EncryptionContextSubset",
        }
    }
    kms.put_key_policy(
        KeyId=key_id,
        PolicyName="default",
        Policy=key_policy(key_statement("Allow", delegator.arn, "kms:CreateGrant", condition)),
    )
    good: dict[str, Any] = {
        "KeyId": key_id,
        "GranteePrincipal": app.arn,
        "RetiringPrincipal": ops.arn,
        "Operations": ["Decrypt"],
        "Constraints": {"EncryptionContextSubset": {"tenant": "t1"}},
    }
    delegator.kms.create_grant(**good)
    denied(delegator.kms.create_grant, **{**good, "GranteePrincipal": stranger.arn})
    denied(delegator.kms.create_grant, **{**good, "RetiringPrincipal": stranger.arn})
    denied(delegator.kms.create_grant, **{k: v for k, v in good.items() if k != "RetiringPrincipal"})
    denied(delegator.kms.create_grant, **{**good, "Constraints": {"EncryptionContextEquals": {"tenant": "t1"}}})
    denied(delegator.kms.create_grant, **{k: v for k, v in good.items() if k != "Constraints"})
    (listed,) = kms.list_grants(KeyId=key_id)["Grants"]
    assert listed["GranteePrincipal"] == app.arn and listed["RetiringPrincipal"] == ops.arn
    assert listed["IssuingAccount"] == DEV.root_arn


def test_resource_tag_condition_follows_tag_and_untag_on_the_next_request(
    kms: Any, make_user: Callable[..., Principal]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    user, grantee = make_user("tag-user"), make_user("tag-grantee")
    project = uname("proj")
    kms.put_key_policy(
        KeyId=key_id,
        PolicyName="default",
        Policy=key_policy(
            key_statement(
                "Allow",
                user.arn,
                ["kms:Encrypt", "kms:Decrypt"],
                {"StringEquals": {"aws:ResourceTag/Project": project}},
            ),
            # A quarantine tag takes even a grant's Decrypt away.
            key_statement("Deny", "*", "kms:Decrypt", {"StringEquals": {"aws:ResourceTag/Quarantine": "true"}}),
        ),
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"tagged")["CiphertextBlob"]
    kms.create_grant(KeyId=key_id, GranteePrincipal=grantee.arn, Operations=["Decrypt"])

    denied(user.kms.encrypt, KeyId=key_id, Plaintext=b"x")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Project", "TagValue": project}])
    user.kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert user.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"tagged"
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Project", "TagValue": "other"}])
    denied(user.kms.encrypt, KeyId=key_id, Plaintext=b"x")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Project", "TagValue": project}])
    user.kms.encrypt(KeyId=key_id, Plaintext=b"x")
    kms.untag_resource(KeyId=key_id, TagKeys=["Project"])
    denied(user.kms.encrypt, KeyId=key_id, Plaintext=b"x")

    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"tagged"
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "Quarantine", "TagValue": "true"}])
    msg = denied(grantee.kms.decrypt, CiphertextBlob=blob)
    assert "explicit deny" in msg.lower(), msg
    kms.untag_resource(KeyId=key_id, TagKeys=["Quarantine"])
    assert grantee.kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"tagged"
