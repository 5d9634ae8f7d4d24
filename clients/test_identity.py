"""Identity (IAM + STS) as an operator meets it: the real ``aws`` CLI seeding a lab, an IAM user working
with KMS under a group's managed policy, a role switch into a second account, and boto3 error codes.

Servers: ``two_account_kmsd`` (module-scoped, from conftest: kmsd ``--dev --config`` serving the dev
account 111122223333, root test/test, and 098765432109) for the seed lab and the boto3 checks; the role
switch moves the service clock, so it gets a two-account server of its own from ``kmsd_factory``.
Expected behaviour is AWS's: the CLI exits non-zero and prints ``An error occurred (Code) when calling
the Op operation: message`` on stderr.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    ACCESS_KEY_ID_RE,
    DEV_ACCOUNT,
    SECOND_ACCOUNT,
    SESSION_ACCESS_KEY_ID_RE,
    Credentials,
    IdentityCli,
    KmsdServer,
    assert_client_error,
    aws_client,
    unb64,
)

DEV = DEV_ACCOUNT
SECOND = SECOND_ACCOUNT

KMS_USER_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
    "kms:ListKeys",
    "kms:ListAliases",
    "kms:CreateKey",
]


# --- helpers ---------------------------------------------------------------------------------


def uname(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal_arn: str) -> dict[str, Any]:
    return policy({"Effect": "Allow", "Principal": {"AWS": principal_arn}, "Action": "sts:AssumeRole"})


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps(policy(*statements))


def refused(cli: IdentityCli, code: str, *args: str) -> str:
    """``aws <args>`` exits non-zero with error ``code``; returns stderr."""
    res = cli.run(*args)
    assert res.returncode != 0, f"aws {' '.join(args)} unexpectedly succeeded: {res.stdout}"
    assert f"({code})" in res.stderr, f"aws {' '.join(args)}: expected ({code}), got: {res.stderr}"
    return res.stderr


def fileb(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return f"fileb://{path}"


def cli_encrypt(cli: IdentityCli, tmp_path: Path, key: str, plaintext: bytes) -> bytes:
    out = cli("kms", "encrypt", "--key-id", key, "--plaintext", fileb(tmp_path / f"pt-{uuid.uuid4().hex}", plaintext))
    return unb64(out["CiphertextBlob"])


def cli_decrypt(cli: IdentityCli, tmp_path: Path, blob: bytes) -> tuple[bytes, str]:
    out = cli("kms", "decrypt", "--ciphertext-blob", fileb(tmp_path / f"ct-{uuid.uuid4().hex}", blob))
    return unb64(out["Plaintext"]), out["KeyId"]


def parse_time(text: str) -> datetime.datetime:
    when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert when.tzinfo is not None, text
    return when


def expect(code: str, status: int, call: Callable[..., Any], /, **params: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code, status)
    return info.value


def message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(two_account_kmsd: KmsdServer) -> KmsdServer:
    """The module's server: kmsd --dev --config <accounts.toml> with 111122223333 and 098765432109."""
    return two_account_kmsd


@pytest.fixture(scope="module")
def iam(server: KmsdServer) -> Any:
    return aws_client(server, "iam")


@pytest.fixture(scope="module")
def iam2(server: KmsdServer) -> Any:
    return aws_client(server, "iam", SECOND.root)


# =============================================================================================
# 1. Seed lab with the AWS CLI: a group, a managed policy, a user and her key
# =============================================================================================


def test_seed_lab_user_in_a_group_works_with_kms_through_the_cli(
    server: KmsdServer, make_identity_cli: Callable[..., IdentityCli], tmp_path: Path
) -> None:
    root = make_identity_cli(server)
    assert root("sts", "get-caller-identity")["Arn"] == DEV.root_arn

    # --- seed as the root of 111122223333 ---
    group = root("iam", "create-group", "--group-name", "KMSUsers")["Group"]
    assert group["GroupName"] == "KMSUsers"
    assert group["Arn"] == DEV.group_arn("KMSUsers")
    user = root("iam", "create-user", "--user-name", "alice")["User"]
    assert user["UserName"] == "alice"
    assert user["Arn"] == DEV.user_arn("alice")
    created = root(
        "iam", "create-policy", "--policy-name", "KMSUserAccess",
        "--policy-document", doc(allow(KMS_USER_ACTIONS)),
    )["Policy"]  # fmt: skip
    policy_arn = created["Arn"]
    assert policy_arn == DEV.policy_arn("KMSUserAccess")
    assert created["DefaultVersionId"] == "v1"
    root("iam", "attach-group-policy", "--group-name", "KMSUsers", "--policy-arn", policy_arn)
    attached = root("iam", "list-attached-group-policies", "--group-name", "KMSUsers")["AttachedPolicies"]
    assert attached == [{"PolicyName": "KMSUserAccess", "PolicyArn": policy_arn}]
    root("iam", "add-user-to-group", "--group-name", "KMSUsers", "--user-name", "alice")
    members = root("iam", "get-group", "--group-name", "KMSUsers")["Users"]
    assert [u["UserName"] for u in members] == ["alice"]
    groups = root("iam", "list-groups-for-user", "--user-name", "alice")["Groups"]
    assert [g["GroupName"] for g in groups] == ["KMSUsers"]

    key = root("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    assert ACCESS_KEY_ID_RE.match(key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["SecretAccessKey"]) == 40, key["SecretAccessKey"]
    assert key["Status"] == "Active"
    assert key["UserName"] == "alice"
    listed = root("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Active")]
    assert "SecretAccessKey" not in listed[0]

    # --- as alice ---
    alice = root.as_(Credentials.from_access_key(key))
    ident = alice("sts", "get-caller-identity")
    assert ident["Arn"] == "arn:aws:iam::111122223333:user/alice"
    assert ident["Account"] == DEV.id
    assert ident["UserId"] == user["UserId"]

    md = alice("kms", "create-key", "--description", "alice's key")["KeyMetadata"]
    key_id = md["KeyId"]
    assert md["AWSAccountId"] == DEV.id
    assert md["Arn"] == DEV.key_arn_prefix() + key_id
    assert md["KeyState"] == "Enabled"
    blob = cli_encrypt(alice, tmp_path, key_id, b"alice's secret")
    assert cli_decrypt(alice, tmp_path, blob) == (b"alice's secret", md["Arn"])
    # kms:GenerateDataKey* covers GenerateDataKey and GenerateDataKeyWithoutPlaintext.
    dk = alice("kms", "generate-data-key", "--key-id", key_id, "--key-spec", "AES_256")
    assert cli_decrypt(alice, tmp_path, unb64(dk["CiphertextBlob"]))[0] == unb64(dk["Plaintext"])
    alice("kms", "generate-data-key-without-plaintext", "--key-id", key_id, "--number-of-bytes", "16")
    assert alice("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyId"] == key_id
    assert key_id in [k["KeyId"] for k in alice("kms", "list-keys")["Keys"]]
    alice("kms", "list-aliases")

    # Not in the policy: kms:DisableKey and iam:CreateUser.
    err = refused(alice, "AccessDeniedException", "kms", "disable-key", "--key-id", key_id)
    assert "arn:aws:iam::111122223333:user/alice" in err and "kms:DisableKey" in err, err
    assert f"arn:aws:kms:us-east-1:{DEV.id}:key/{key_id}" in err, err
    assert root("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    err = refused(alice, "AccessDenied", "iam", "create-user", "--user-name", "mallory")
    assert "iam:CreateUser" in err and DEV.user_arn("alice") in err, err
    refused(root, "NoSuchEntity", "iam", "get-user", "--user-name", "mallory")

    # The group's managed policy is what lets her in: detach it, then attach it again.
    root("iam", "detach-group-policy", "--group-name", "KMSUsers", "--policy-arn", policy_arn)
    assert root("iam", "list-attached-group-policies", "--group-name", "KMSUsers")["AttachedPolicies"] == []
    err = refused(
        alice, "AccessDeniedException",
        "kms", "encrypt", "--key-id", key_id, "--plaintext", fileb(tmp_path / "refused", b"x"),
    )  # fmt: skip
    assert "kms:Encrypt" in err and DEV.user_arn("alice") in err, err
    root("iam", "attach-group-policy", "--group-name", "KMSUsers", "--policy-arn", policy_arn)
    assert cli_decrypt(alice, tmp_path, cli_encrypt(alice, tmp_path, key_id, b"back"))[0] == b"back"

    # An Inactive key is refused at once, on KMS and on STS/IAM; Active again works.
    root(
        "iam",
        "update-access-key",
        "--user-name",
        "alice",
        "--access-key-id",
        key["AccessKeyId"],
        "--status",
        "Inactive",
    )
    listed = root("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(key["AccessKeyId"], "Inactive")]
    refused(alice, "UnrecognizedClientException", "kms", "list-keys")
    refused(alice, "InvalidClientTokenId", "sts", "get-caller-identity")
    refused(alice, "InvalidClientTokenId", "iam", "get-user")
    root(
        "iam", "update-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"], "--status", "Active"
    )
    assert alice("sts", "get-caller-identity")["Arn"] == DEV.user_arn("alice")

    # --- cleanup, in the order IAM insists on ---
    refused(root, "DeleteConflict", "iam", "delete-user", "--user-name", "alice")
    refused(root, "DeleteConflict", "iam", "delete-policy", "--policy-arn", policy_arn)
    refused(root, "DeleteConflict", "iam", "delete-group", "--group-name", "KMSUsers")
    root("iam", "remove-user-from-group", "--group-name", "KMSUsers", "--user-name", "alice")
    assert root("iam", "list-groups-for-user", "--user-name", "alice")["Groups"] == []
    # Still her access key: still a conflict.
    refused(root, "DeleteConflict", "iam", "delete-user", "--user-name", "alice")
    assert root("iam", "get-user", "--user-name", "alice")["User"]["Arn"] == DEV.user_arn("alice")
    root("iam", "delete-access-key", "--user-name", "alice", "--access-key-id", key["AccessKeyId"])
    refused(alice, "InvalidClientTokenId", "sts", "get-caller-identity")
    root("iam", "delete-user", "--user-name", "alice")
    refused(root, "NoSuchEntity", "iam", "get-user", "--user-name", "alice")
    assert "alice" not in [u["UserName"] for u in root("iam", "list-users")["Users"]]

    root("iam", "detach-group-policy", "--group-name", "KMSUsers", "--policy-arn", policy_arn)
    root("iam", "delete-policy", "--policy-arn", policy_arn)
    refused(root, "NoSuchEntity", "iam", "get-policy", "--policy-arn", policy_arn)
    root("iam", "delete-group", "--group-name", "KMSUsers")
    refused(root, "NoSuchEntity", "iam", "get-group", "--group-name", "KMSUsers")
    # Her KMS key outlives her, and the root can still use it (default key policy).
    assert root("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert cli_decrypt(root, tmp_path, blob)[0] == b"alice's secret"


# =============================================================================================
# 2. Role switch across two accounts with the AWS CLI
# =============================================================================================


def test_role_switch_into_a_second_account_through_the_cli(
    kmsd_factory: Callable[..., KmsdServer], make_identity_cli: Callable[..., IdentityCli], tmp_path: Path
) -> None:
    server = kmsd_factory("kmsd-role-switch", accounts=(SECOND,))  # its clock moves: a server of its own
    root1 = make_identity_cli(server)
    root2 = make_identity_cli(server, SECOND.root)
    ident2 = root2("sts", "get-caller-identity")
    assert ident2["Arn"] == SECOND.root_arn and ident2["Account"] == SECOND.id
    role_arn = SECOND.role_arn("admin")
    assert role_arn == "arn:aws:iam::098765432109:role/admin"

    # --- as the root of 098765432109: role admin trusting 111122223333, allowed kms:* ---
    role = root2(
        "iam", "create-role", "--role-name", "admin",
        "--assume-role-policy-document", json.dumps(trust("arn:aws:iam::111122223333:root")),
    )["Role"]  # fmt: skip
    assert role["Arn"] == role_arn
    assert role["RoleId"].startswith("AROA"), role["RoleId"]
    got = root2("iam", "get-role", "--role-name", "admin")["Role"]
    assert got["MaxSessionDuration"] == 3600
    trust_doc = got["AssumeRolePolicyDocument"]  # the CLI prints it decoded
    assert trust_doc["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    root2(
        "iam",
        "put-role-policy",
        "--role-name",
        "admin",
        "--policy-name",
        "kms-admin",
        "--policy-document",
        doc(allow("kms:*")),
    )
    assert root2("iam", "list-role-policies", "--role-name", "admin")["PolicyNames"] == ["kms-admin"]
    # The role lives in 098765432109 only.
    refused(root1, "NoSuchEntity", "iam", "get-role", "--role-name", "admin")

    # --- alice in 111122223333 ---
    root1("iam", "create-user", "--user-name", "alice")
    key = root1("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    alice = root1.as_(Credentials.from_access_key(key))
    assume = ("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", "alice-session")

    # Trusted by the role, but her own identity policy does not allow sts:AssumeRole yet.
    refused(alice, "AccessDenied", *assume)
    root1(
        "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume-admin",
        "--policy-document", doc(allow("sts:AssumeRole", role_arn)),
    )  # fmt: skip
    assert root1("iam", "list-user-policies", "--user-name", "alice")["PolicyNames"] == ["assume-admin"]

    out = alice(*assume)
    creds = out["Credentials"]
    assert SESSION_ACCESS_KEY_ID_RE.match(creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40, creds["SecretAccessKey"]
    assert creds["SessionToken"], creds
    left = (parse_time(creds["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert abs(left - 3600) < 120, creds["Expiration"]
    assumed = out["AssumedRoleUser"]
    assert assumed["Arn"] == "arn:aws:sts::098765432109:assumed-role/admin/alice-session"
    assert assumed["AssumedRoleId"] == f"{role['RoleId']}:alice-session"

    session = alice.as_(Credentials.from_sts(creds))
    ident = session("sts", "get-caller-identity")
    assert ident["Arn"] == "arn:aws:sts::098765432109:assumed-role/admin/alice-session"
    assert ident["Account"] == "098765432109"
    assert ident["UserId"] == assumed["AssumedRoleId"]

    # KMS in 098765432109 as the role session.
    md = session("kms", "create-key", "--description", "made by a role session")["KeyMetadata"]
    key_id = md["KeyId"]
    assert md["AWSAccountId"] == "098765432109"
    assert md["Arn"] == SECOND.key_arn_prefix() + key_id
    blob = cli_encrypt(session, tmp_path, key_id, b"cross-account data")
    assert cli_decrypt(session, tmp_path, blob) == (b"cross-account data", md["Arn"])
    session("kms", "disable-key", "--key-id", key_id)  # kms:* covers what alice alone may not
    assert session("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    session("kms", "enable-key", "--key-id", key_id)
    assert key_id in [k["KeyId"] for k in root2("kms", "list-keys")["Keys"]]
    assert key_id not in [k["KeyId"] for k in root1("kms", "list-keys")["Keys"]]
    # The role grants kms:* only.
    err = refused(session, "AccessDenied", "iam", "list-users")
    assert assumed["Arn"] in err and "iam:ListUsers" in err, err

    # Root credentials cannot assume a role, even the account the trust policy names.
    refused(root1, "AccessDenied", *assume)
    refused(root2, "AccessDenied", *assume)
    # Longer than the role's MaxSessionDuration (3600).
    refused(alice, "ValidationError", *assume, "--duration-seconds", "7200")

    # Without her inline policy she cannot assume the role again; the session she has keeps working.
    root1("iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "assume-admin")
    refused(alice, "AccessDenied", *assume)
    assert session("sts", "get-caller-identity")["Arn"] == assumed["Arn"]

    # The service clock enforces the expiry.
    server.advance_clock(1800)
    assert session("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyId"] == key_id
    server.advance_clock(1801)  # 3601 s in all
    refused(session, "ExpiredTokenException", "kms", "describe-key", "--key-id", key_id)
    refused(session, "ExpiredToken", "sts", "get-caller-identity")
    refused(session, "ExpiredToken", "iam", "list-users")
    # Long-term credentials are unaffected.
    assert alice("sts", "get-caller-identity")["Arn"] == DEV.user_arn("alice")
    assert root2("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"


# =============================================================================================
# 3. boto3: error codes and HTTP statuses
# =============================================================================================


def test_missing_entities_are_no_such_entity(iam: Any) -> None:
    name = uname("ghost")
    err = expect("NoSuchEntity", 404, iam.get_user, UserName=name)
    assert name in message(err), message(err)
    expect("NoSuchEntity", 404, iam.delete_user, UserName=name)
    expect("NoSuchEntity", 404, iam.get_group, GroupName=name)
    expect("NoSuchEntity", 404, iam.get_role, RoleName=name)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=DEV.policy_arn(name))
    expect("NoSuchEntity", 404, iam.create_access_key, UserName=name)
    user = iam.create_user(UserName=name)["User"]["UserName"]
    expect("NoSuchEntity", 404, iam.get_user_policy, UserName=user, PolicyName="none")
    expect("NoSuchEntity", 404, iam.add_user_to_group, UserName=user, GroupName=uname("nogroup"))


def test_duplicates_are_entity_already_exists(iam: Any) -> None:
    name = uname("dup")
    iam.create_user(UserName=name)
    err = expect("EntityAlreadyExists", 409, iam.create_user, UserName=name)
    assert name in message(err), message(err)
    iam.create_group(GroupName=name)
    expect("EntityAlreadyExists", 409, iam.create_group, GroupName=name)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(DEV.root_arn)))
    expect(
        "EntityAlreadyExists",
        409,
        iam.create_role,
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(trust(DEV.root_arn)),
    )
    iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("kms:ListKeys")))
    expect("EntityAlreadyExists", 409, iam.create_policy, PolicyName=name, PolicyDocument=doc(allow("kms:ListKeys")))


@pytest.mark.parametrize(
    "document",
    [
        '{"Version": "2012-10-17", "Statement": [',
        "not json at all",
        json.dumps(policy({**allow("kms:*"), "Principal": {"AWS": DEV.root_arn}})),
    ],
    ids=["truncated-json", "not-json", "principal-in-identity-policy"],
)
def test_malformed_identity_policies_are_refused_and_not_stored(iam: Any, document: str) -> None:
    user = iam.create_user(UserName=uname("malformed"))["User"]["UserName"]
    expect(
        "MalformedPolicyDocument", 400, iam.put_user_policy, UserName=user, PolicyName="bad", PolicyDocument=document
    )
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    expect("NoSuchEntity", 404, iam.get_user_policy, UserName=user, PolicyName="bad")
    name = uname("badpol")
    expect("MalformedPolicyDocument", 400, iam.create_policy, PolicyName=name, PolicyDocument=document)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=DEV.policy_arn(name))


def test_third_access_key_is_limit_exceeded(iam: Any) -> None:
    user = iam.create_user(UserName=uname("keys"))["User"]["UserName"]
    first = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    second = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    assert first != second
    expect("LimitExceeded", 409, iam.create_access_key, UserName=user)
    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert sorted(k["AccessKeyId"] for k in listed) == sorted([first, second])
    # Deleting one makes room again.
    iam.delete_access_key(UserName=user, AccessKeyId=first)
    assert ACCESS_KEY_ID_RE.match(iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"])


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_unknown_access_key_is_invalid_client_token_id(server: KmsdServer, service: str) -> None:
    client = aws_client(server, service, Credentials("AKIAUNKNOWN000000000", "x" * 40))
    call = client.list_users if service == "iam" else client.get_caller_identity
    expect("InvalidClientTokenId", 403, call)


@pytest.mark.parametrize("service", ["iam", "sts"])
def test_wrong_secret_is_signature_does_not_match(server: KmsdServer, iam: Any, service: str) -> None:
    user = iam.create_user(UserName=uname("sig"))["User"]["UserName"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    for creds in (Credentials(DEV.root_access_key_id, "wrong"), Credentials(key["AccessKeyId"], "w" * 40)):
        client = aws_client(server, service, creds)
        call = client.list_users if service == "iam" else client.get_caller_identity
        expect("SignatureDoesNotMatch", 403, call)
    # The right secret works (the user needs no permission for GetCallerIdentity).
    good = aws_client(server, "sts", Credentials.from_access_key(key)).get_caller_identity()
    assert good["Arn"] == DEV.user_arn(user)


def test_each_account_has_its_own_users(server: KmsdServer, iam: Any, iam2: Any) -> None:
    name = uname("theirs")
    made = iam2.create_user(UserName=name)["User"]
    assert made["Arn"] == SECOND.user_arn(name)
    theirs = [u["UserName"] for p in iam2.get_paginator("list_users").paginate() for u in p["Users"]]
    ours = [u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]]
    assert name in theirs
    assert name not in ours
    expect("NoSuchEntity", 404, iam.get_user, UserName=name)
    # And the other way round.
    mine = uname("mine")
    iam.create_user(UserName=mine)
    expect("NoSuchEntity", 404, iam2.get_user, UserName=mine)
    assert aws_client(server, "sts", SECOND.root).get_caller_identity()["Account"] == SECOND.id


def test_get_group_lists_its_members(iam: Any) -> None:
    group = uname("grp")
    created = iam.create_group(GroupName=group)["Group"]
    assert created["Arn"] == DEV.group_arn(group)
    users = [uname("member") for _ in range(2)]
    for user in users:
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=group, UserName=user)
    out = iam.get_group(GroupName=group)
    assert out["Group"]["GroupName"] == group
    assert sorted(u["UserName"] for u in out["Users"]) == sorted(users)
    assert {u["Arn"] for u in out["Users"]} == {DEV.user_arn(u) for u in users}
    expect("DeleteConflict", 409, iam.delete_group, GroupName=group)
    iam.remove_user_from_group(GroupName=group, UserName=users[0])
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [users[1]]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=users[1])["Groups"]] == [group]
    assert iam.list_groups_for_user(UserName=users[0])["Groups"] == []


def test_list_attached_group_policies_shows_the_arn(iam: Any) -> None:
    group = uname("attgrp")
    iam.create_group(GroupName=group)
    name = uname("attpol")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("kms:DescribeKey")))["Policy"]["Arn"]
    assert arn == DEV.policy_arn(name)
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == []
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == [
        {"PolicyName": name, "PolicyArn": arn}
    ]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    expect("DeleteConflict", 409, iam.delete_policy, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == []
    iam.delete_policy(PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=arn)


def test_get_user_policy_returns_the_document(iam: Any) -> None:
    user = iam.create_user(UserName=uname("inline"))["User"]["UserName"]
    document = policy(
        {"Sid": "UseKeys", **allow(["kms:Encrypt", "kms:Decrypt"], f"arn:aws:kms:us-east-1:{DEV.id}:key/*")},
        {"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
    )
    iam.put_user_policy(UserName=user, PolicyName="keys", PolicyDocument=json.dumps(document))
    out = iam.get_user_policy(UserName=user, PolicyName="keys")
    assert out["UserName"] == user
    assert out["PolicyName"] == "keys"
    assert out["PolicyDocument"] == document  # botocore URL-decodes and parses it into a dict
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["keys"]
    iam.delete_user_policy(UserName=user, PolicyName="keys")
    expect("NoSuchEntity", 404, iam.get_user_policy, UserName=user, PolicyName="keys")


def test_cross_account_assume_role_needs_the_trust_policy_and_the_identity_policy(
    server: KmsdServer, iam: Any, iam2: Any
) -> None:
    """The role (098765432109) must trust the caller's account or ARN, and the caller (111122223333) must
    be allowed sts:AssumeRole by its own policies: either alone is AccessDenied."""
    role = iam2.create_role(RoleName=uname("xacct"), AssumeRolePolicyDocument=json.dumps(trust(SECOND.root_arn)))[
        "Role"
    ]
    user = iam.create_user(UserName=uname("xuser"))["User"]
    sts = aws_client(
        server, "sts", Credentials.from_access_key(iam.create_access_key(UserName=user["UserName"])["AccessKey"])
    )

    expect("AccessDenied", 403, sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1")  # neither
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"]))
    )
    err = expect("AccessDenied", 403, sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s1")  # not trusted
    assert user["Arn"] in message(err) and "sts:AssumeRole" in message(err), message(err)

    iam2.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(DEV.root_arn)))
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert out["AssumedRoleUser"]["Arn"] == SECOND.assumed_role_arn(role["RoleName"], "s1")

    # Trusting the user's own ARN works as well; any other principal does not.
    iam2.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(user["Arn"])))
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="t1")["AssumedRoleUser"]["Arn"].endswith("/t1")
    other = iam.create_user(UserName=uname("other"))["User"]["Arn"]
    iam2.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(other)))
    expect("AccessDenied", 403, sts.assume_role, RoleArn=role["Arn"], RoleSessionName="u1")

    # Trusted again, but the identity policy is gone.
    iam2.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(DEV.root_arn)))
    iam.delete_user_policy(UserName=user["UserName"], PolicyName="assume")
    expect("AccessDenied", 403, sts.assume_role, RoleArn=role["Arn"], RoleSessionName="v1")


# =============================================================================================
# 4. Authorization details through the CLI and boto3
# =============================================================================================


def new_user_creds(iam: Any, prefix: str, *statements: dict[str, Any]) -> tuple[dict[str, Any], Credentials]:
    user: dict[str, Any] = iam.create_user(UserName=uname(prefix))["User"]
    if statements:
        iam.put_user_policy(UserName=user["UserName"], PolicyName="inline", PolicyDocument=doc(*statements))
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    return user, Credentials.from_access_key(key)


def test_keys_of_another_account_are_refused_even_with_kms_star(server: KmsdServer, iam: Any) -> None:
    """A user of 111122223333 allowed kms:* on "*" cannot use a 098765432109 key: its default key policy
    trusts only 098765432109."""
    theirs = aws_client(server, "kms", SECOND.root).create_key(Description="second's")["KeyMetadata"]
    user, creds = new_user_creds(iam, "kmsstar", allow("kms:*"))
    kms = aws_client(server, "kms", creds)
    blob = aws_client(server, "kms", SECOND.root).encrypt(KeyId=theirs["Arn"], Plaintext=b"theirs")["CiphertextBlob"]
    err = expect("AccessDeniedException", 400, kms.encrypt, KeyId=theirs["Arn"], Plaintext=b"x")
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=blob)
    assert info.value.response["Error"]["Code"] in ("AccessDeniedException", "InvalidCiphertextException")
    # Its own account's keys are fine.
    mine = kms.create_key()["KeyMetadata"]
    assert mine["AWSAccountId"] == DEV.id
    assert theirs["KeyId"] not in [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    # The refusal names the caller and the action, as every KMS AccessDeniedException does.
    assert user["Arn"] in message(err) and "kms:Encrypt" in message(err), message(err)


def test_action_names_match_case_insensitively_and_wildcards_in_the_middle(server: KmsdServer, iam: Any) -> None:
    _user, creds = new_user_creds(iam, "case", allow(["KMS:createkey", "kms:*crypt", "kms:Describe*"]))
    kms = aws_client(server, "kms", creds)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"case")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"case"
    kms.describe_key(KeyId=key_id)
    expect("AccessDeniedException", 400, kms.disable_key, KeyId=key_id)
    expect("AccessDeniedException", 400, kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")


def test_not_action_allows_everything_else(server: KmsdServer, iam: Any) -> None:
    stmt = {"Effect": "Allow", "NotAction": ["kms:DisableKey", "iam:*"], "Resource": "*"}
    _user, creds = new_user_creds(iam, "notaction", stmt)
    kms = aws_client(server, "kms", creds)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"x")
    expect("AccessDeniedException", 400, kms.disable_key, KeyId=key_id)
    expect("AccessDenied", 403, aws_client(server, "iam", creds).list_users)


def test_group_inline_deny_beats_user_allow(server: KmsdServer, iam: Any) -> None:
    user, creds = new_user_creds(iam, "denied", allow("kms:*"))
    group = uname("denygrp")
    iam.create_group(GroupName=group)
    iam.put_group_policy(
        GroupName=group,
        PolicyName="no-disable",
        PolicyDocument=doc({"Effect": "Deny", "Action": "kms:DisableKey", "Resource": "*"}),
    )
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["no-disable"]
    assert (
        iam.get_group_policy(GroupName=group, PolicyName="no-disable")["PolicyDocument"]["Statement"][0]["Effect"]
        == "Deny"
    )
    kms = aws_client(server, "kms", creds)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    iam.add_user_to_group(GroupName=group, UserName=user["UserName"])
    err = expect("AccessDeniedException", 400, kms.disable_key, KeyId=key_id)
    assert "explicit deny" in message(err).lower(), message(err)
    kms.encrypt(KeyId=key_id, Plaintext=b"still allowed")
    iam.remove_user_from_group(GroupName=group, UserName=user["UserName"])
    kms.disable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


def test_role_with_an_attached_managed_policy_and_a_longer_session_through_the_cli(
    server: KmsdServer, make_identity_cli: Callable[..., IdentityCli], iam: Any
) -> None:
    root = make_identity_cli(server)
    role_name, policy_name = uname("ops"), uname("ops-kms")
    role = root(
        "iam", "create-role", "--role-name", role_name, "--max-session-duration", "7200",
        "--assume-role-policy-document", json.dumps(trust(DEV.root_arn)),
    )["Role"]  # fmt: skip
    assert role["MaxSessionDuration"] == 7200
    assert [r["RoleName"] for r in root("iam", "list-roles")["Roles"]].count(role_name) == 1
    arn = root("iam", "create-policy", "--policy-name", policy_name, "--policy-document", doc(allow("kms:ListKeys")))[
        "Policy"
    ]["Arn"]
    version = root("iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")["PolicyVersion"]
    assert version["Document"] == policy(allow("kms:ListKeys"))
    assert version["IsDefaultVersion"] is True
    root("iam", "attach-role-policy", "--role-name", role_name, "--policy-arn", arn)
    attached = root("iam", "list-attached-role-policies", "--role-name", role_name)["AttachedPolicies"]
    assert attached == [{"PolicyName": policy_name, "PolicyArn": arn}]

    _user, creds = new_user_creds(iam, "ops-user", allow("sts:AssumeRole", role["Arn"]))
    user_cli = root.as_(creds)
    out = user_cli(
        "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "long", "--duration-seconds", "7200"
    )
    left = (parse_time(out["Credentials"]["Expiration"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert abs(left - 7200) < 120, out["Credentials"]["Expiration"]
    session = user_cli.as_(Credentials.from_sts(out["Credentials"]))
    session("kms", "list-keys")
    err = refused(session, "AccessDeniedException", "kms", "create-key")
    assert out["AssumedRoleUser"]["Arn"] in err and "kms:CreateKey" in err, err
    refused(user_cli, "ValidationError", "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "x2",
            "--duration-seconds", "7201")  # fmt: skip

    refused(root, "DeleteConflict", "iam", "delete-role", "--role-name", role_name)
    root("iam", "detach-role-policy", "--role-name", role_name, "--policy-arn", arn)
    # Detaching takes effect on the live session at once.
    refused(session, "AccessDeniedException", "kms", "list-keys")
    root("iam", "delete-role", "--role-name", role_name)
    refused(root, "NoSuchEntity", "iam", "get-role", "--role-name", role_name)


def test_user_attached_policy_and_list_attached_user_policies(server: KmsdServer, iam: Any) -> None:
    user, creds = new_user_creds(iam, "attached")
    name = uname("list-users")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("iam:ListUsers")))["Policy"]["Arn"]
    user_iam = aws_client(server, "iam", creds)
    expect("AccessDenied", 403, user_iam.list_users)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    assert iam.list_attached_user_policies(UserName=user["UserName"])["AttachedPolicies"] == [
        {"PolicyName": name, "PolicyArn": arn}
    ]
    assert user["UserName"] in [
        u["UserName"] for p in user_iam.get_paginator("list_users").paginate() for u in p["Users"]
    ]
    expect("AccessDenied", 403, user_iam.create_user, UserName=uname("nope"))
    expect("DeleteConflict", 409, iam.delete_user, UserName=user["UserName"])
    iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    expect("AccessDenied", 403, user_iam.list_users)
    expect("NoSuchEntity", 404, iam.detach_user_policy, UserName=user["UserName"], PolicyArn=arn)


def test_updating_another_users_key_is_no_such_entity(iam: Any) -> None:
    a, _ = new_user_creds(iam, "owner-a")
    b, b_creds = new_user_creds(iam, "owner-b")
    expect(
        "NoSuchEntity",
        404,
        iam.update_access_key,
        UserName=a["UserName"],
        AccessKeyId=b_creds.access_key,
        Status="Inactive",
    )
    expect("NoSuchEntity", 404, iam.delete_access_key, UserName=a["UserName"], AccessKeyId=b_creds.access_key)
    listed = iam.list_access_keys(UserName=b["UserName"])["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in listed] == [(b_creds.access_key, "Active")]


def test_managed_policy_of_another_account_cannot_be_attached(iam: Any, iam2: Any) -> None:
    name = uname("foreign")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=doc(allow("kms:*")))["Policy"]["Arn"]
    assert arn == DEV.policy_arn(name)
    theirs = iam2.create_user(UserName=uname("foreign-user"))["User"]["UserName"]
    expect("NoSuchEntity", 404, iam2.attach_user_policy, UserName=theirs, PolicyArn=arn)
    assert iam2.list_attached_user_policies(UserName=theirs)["AttachedPolicies"] == []
    expect("NoSuchEntity", 404, iam2.get_policy, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_key_policy_trusting_another_account_delegates_to_its_iam(server: KmsdServer, iam: Any) -> None:
    """AWS's cross-account pattern: 098765432109's key policy trusts 111122223333, whose IAM then decides."""
    kms2 = aws_client(server, "kms", SECOND.root)
    key = kms2.create_key(Description="shared with 111122223333")["KeyMetadata"]
    key_policy = policy(
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": SECOND.root_arn}, "Action": "kms:*", "Resource": "*"},
        {
            "Sid": "Partner",
            "Effect": "Allow",
            "Principal": {"AWS": DEV.root_arn},
            "Action": ["kms:Encrypt", "kms:Decrypt"],
            "Resource": "*",
        },
    )
    kms2.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(key_policy))
    allowed_user, allowed = new_user_creds(iam, "partner", allow(["kms:Encrypt", "kms:Decrypt"], key["Arn"]))
    _other_user, other = new_user_creds(iam, "bystander")

    kms = aws_client(server, "kms", allowed)
    blob = kms.encrypt(KeyId=key["Arn"], Plaintext=b"shared")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"shared"
    assert kms2.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    # The key policy does not cover DisableKey; the identity policy alone is not enough across accounts.
    err = expect("AccessDeniedException", 400, kms.disable_key, KeyId=key["Arn"])
    assert allowed_user["Arn"] in message(err) and "kms:DisableKey" in message(err), message(err)
    # Trusted account, but this user's own policies allow nothing.
    expect("AccessDeniedException", 400, aws_client(server, "kms", other).encrypt, KeyId=key["Arn"], Plaintext=b"x")
