"""The two identity seed scenarios end to end, driven mostly by the real ``aws`` CLI (v1).

* Seed 2 — the KMS users lab (account 111122223333, as its root test/test): group ``KMSUsers``, user
  ``alice``, managed policy ``KMSUserAccess`` on the group, alice's access key; alice uses KMS within
  her policy, is refused beyond it, loses and regains access with the policy attachment and her key's
  status; then the lab is torn down in AWS's order.
* Seed 1 — role switch across accounts: role ``admin`` in 098765432109 trusts 111122223333; alice
  (111122223333) may assume it; her session works in 098765432109 until its hour is up on the service
  clock.

Each scenario has a server of its own (module scope); its tests run in file order and build on the
scenario's fixture, which performs (and checks) the set-up. Error codes are read from the CLI's
``An error occurred (<Code>) when calling ...`` line; HTTP statuses are checked with boto3 alongside.
"""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    ACCESS_KEY_ID_RE,
    DEV_ACCOUNT,
    KEY_ID_RE,
    SECOND_ACCOUNT,
    SESSION_ACCESS_KEY_ID_RE,
    THIRD_ACCOUNT,
    Credentials,
    IdentityCli,
    KmsdServer,
    assert_client_error,
    aws_client,
)

DEV = DEV_ACCOUNT
ROLE_ACCOUNT = SECOND_ACCOUNT  # 098765432109
OUTSIDER_ACCOUNT = THIRD_ACCOUNT  # 444455556666, trusted by nobody

ALICE_ARN = DEV.user_arn("alice")
KMS_USERS_POLICY_ARN = DEV.policy_arn("KMSUserAccess")
ADMIN_ROLE_ARN = ROLE_ACCOUNT.role_arn("admin")
ALICE_SESSION_ARN = ROLE_ACCOUNT.assumed_role_arn("admin", "alice-session")

KMS_USER_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "KMSUserAccess",
            "Effect": "Allow",
            "Action": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
                "kms:ListKeys",
                "kms:ListAliases",
                "kms:CreateKey",
            ],
            "Resource": "*",
        }
    ],
}
ADMIN_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": DEV.root_arn}, "Action": "sts:AssumeRole"},
    ],
}
ADMIN_KMS_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}],
}
ALICE_MAY_ASSUME_ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ADMIN_ROLE_ARN}],
}
MAY_ASSUME_ANY_ROLE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
}


# --- helpers ---------------------------------------------------------------------------------


def write_json(path: Path, document: dict[str, Any]) -> str:
    """Write ``document`` and return the CLI's ``file://`` reference to it."""
    path.write_text(json.dumps(document, indent=2))
    return f"file://{path}"


def assert_cli_error(stderr: str, code: str, *fragments: str) -> None:
    """The CLI's error line names exactly ``code`` and mentions every fragment."""
    assert f"An error occurred ({code})" in stderr, f"expected {code}:\n{stderr}"
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} missing from:\n{stderr}"


def expect(code: str, status: int, call: Callable[..., Any], /, **params: Any) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code, status)
    return info.value


def cli_encrypt_decrypt(cli: IdentityCli, tmp: Path, key: str, plaintext: bytes) -> bytes:
    """Encrypt and decrypt ``plaintext`` with ``key`` through the CLI; returns the ciphertext."""
    pt = tmp / "pt.bin"
    pt.write_bytes(plaintext)
    out = cli("kms", "encrypt", "--key-id", key, "--plaintext", f"fileb://{pt}")
    blob = base64.b64decode(out["CiphertextBlob"])
    ct = tmp / "ct.bin"
    ct.write_bytes(blob)
    back = cli("kms", "decrypt", "--ciphertext-blob", f"fileb://{ct}")
    assert base64.b64decode(back["Plaintext"]) == plaintext
    assert back["KeyId"] == out["KeyId"]
    return blob


def parse_time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def seconds_until(text: str) -> float:
    return (parse_time(text) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


# =============================================================================================
# Seed 2: the KMS users lab in 111122223333
# =============================================================================================


@dataclass
class Lab:
    server: KmsdServer
    tmp: Path
    root: IdentityCli
    alice: IdentityCli
    alice_creds: Credentials
    alice_user_id: str
    alice_key: dict[str, Any] | None = None  # KeyMetadata of the key alice creates


@pytest.fixture(scope="module")
def lab(
    kmsd_factory: Callable[..., KmsdServer],
    make_identity_cli: Callable[..., IdentityCli],
    tmp_path_factory: pytest.TempPathFactory,
) -> Lab:
    """The seed 2 set-up, as the root of 111122223333 through the CLI, checked step by step."""
    server = kmsd_factory("kmsd-seed2")
    tmp = tmp_path_factory.mktemp("seed2")
    root = make_identity_cli(server)

    group = root("iam", "create-group", "--group-name", "KMSUsers")["Group"]
    assert group["GroupName"] == "KMSUsers"
    assert group["Arn"] == DEV.group_arn("KMSUsers")
    user = root("iam", "create-user", "--user-name", "alice")["User"]
    assert user["UserName"] == "alice"
    assert user["Arn"] == ALICE_ARN
    assert user["Path"] == "/"
    assert user["UserId"].startswith("AIDA")

    policy = root(
        "iam", "create-policy", "--policy-name", "KMSUserAccess",
        "--policy-document", write_json(tmp / "kms-user-access.json", KMS_USER_ACCESS),
    )["Policy"]  # fmt: skip
    assert policy["Arn"] == KMS_USERS_POLICY_ARN
    assert policy["DefaultVersionId"] == "v1"
    root("iam", "attach-group-policy", "--group-name", "KMSUsers", "--policy-arn", KMS_USERS_POLICY_ARN)
    root("iam", "add-user-to-group", "--group-name", "KMSUsers", "--user-name", "alice")

    key = root("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    assert ACCESS_KEY_ID_RE.match(key["AccessKeyId"]), key["AccessKeyId"]
    assert len(key["SecretAccessKey"]) == 40, "secret access keys are 40 characters"
    assert key["Status"] == "Active"
    assert key["UserName"] == "alice"
    creds = Credentials.from_access_key(key)
    return Lab(server, tmp, root, root.as_(creds), creds, user["UserId"])


def test_seed2_lab_is_visible_through_list_and_get(lab: Lab) -> None:
    root = lab.root
    assert "alice" in [u["UserName"] for u in root("iam", "list-users")["Users"]]
    got = root("iam", "get-user", "--user-name", "alice")["User"]
    assert got["Arn"] == ALICE_ARN and got["UserId"] == lab.alice_user_id
    assert "KMSUsers" in [g["GroupName"] for g in root("iam", "list-groups")["Groups"]]
    group = root("iam", "get-group", "--group-name", "KMSUsers")
    assert group["Group"]["Arn"] == DEV.group_arn("KMSUsers")
    assert [u["UserName"] for u in group["Users"]] == ["alice"]
    assert [g["GroupName"] for g in root("iam", "list-groups-for-user", "--user-name", "alice")["Groups"]] == [
        "KMSUsers"
    ]
    attached = root("iam", "list-attached-group-policies", "--group-name", "KMSUsers")["AttachedPolicies"]
    assert attached == [{"PolicyName": "KMSUserAccess", "PolicyArn": KMS_USERS_POLICY_ARN}]
    assert root("iam", "get-policy", "--policy-arn", KMS_USERS_POLICY_ARN)["Policy"]["AttachmentCount"] == 1
    version = root("iam", "get-policy-version", "--policy-arn", KMS_USERS_POLICY_ARN, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == KMS_USER_ACCESS  # the CLI prints it decoded
    (meta,) = root("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
    assert meta["AccessKeyId"] == lab.alice_creds.access_key
    assert meta["Status"] == "Active"
    assert "SecretAccessKey" not in meta


def test_seed2_alice_is_herself_to_sts(lab: Lab) -> None:
    ident = lab.alice("sts", "get-caller-identity")
    assert ident["Arn"] == ALICE_ARN
    assert ident["Account"] == DEV.id
    assert ident["UserId"] == lab.alice_user_id


def test_seed2_alice_creates_a_key_and_encrypts_and_decrypts(lab: Lab) -> None:
    alice = lab.alice
    md = alice("kms", "create-key", "--description", "alice's key")["KeyMetadata"]
    assert KEY_ID_RE.match(md["KeyId"])
    assert md["AWSAccountId"] == DEV.id
    assert md["Arn"] == DEV.key_arn_prefix() + md["KeyId"]
    lab.alice_key = md
    cli_encrypt_decrypt(alice, lab.tmp, md["KeyId"], b"alice's first secret")
    data_key = alice("kms", "generate-data-key", "--key-id", md["KeyId"], "--key-spec", "AES_256")
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    assert alice("kms", "describe-key", "--key-id", md["Arn"])["KeyMetadata"]["KeyId"] == md["KeyId"]
    assert md["KeyId"] in [k["KeyId"] for k in alice("kms", "list-keys")["Keys"]]
    alice("kms", "list-aliases")
    # Created with the default key policy: the account's root sees and uses it too.
    assert lab.root("kms", "describe-key", "--key-id", md["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def alice_key_id(lab: Lab) -> str:
    if lab.alice_key is None:  # this test runs alone: make the key as the earlier test would
        lab.alice_key = lab.alice("kms", "create-key")["KeyMetadata"]
    assert lab.alice_key is not None
    return str(lab.alice_key["KeyId"])


def test_seed2_alice_is_refused_what_her_policy_lacks(lab: Lab) -> None:
    key_id = alice_key_id(lab)
    key_arn = DEV.key_arn_prefix() + key_id
    stderr = lab.alice.fail("kms", "disable-key", "--key-id", key_id)
    assert_cli_error(stderr, "AccessDeniedException", ALICE_ARN, "kms:DisableKey", key_arn)
    stderr = lab.alice.fail("iam", "create-user", "--user-name", "mallory")
    assert_cli_error(stderr, "AccessDenied", ALICE_ARN, "iam:CreateUser")
    stderr = lab.alice.fail("iam", "list-users")
    assert_cli_error(stderr, "AccessDenied", ALICE_ARN, "iam:ListUsers")
    # Same refusals, with their HTTP statuses.
    expect("AccessDeniedException", 400, aws_client(lab.server, "kms", lab.alice_creds).disable_key, KeyId=key_id)
    expect("AccessDenied", 403, aws_client(lab.server, "iam", lab.alice_creds).create_user, UserName="mallory")
    # Nothing happened.
    assert lab.root("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert_cli_error(lab.root.fail("iam", "get-user", "--user-name", "mallory"), "NoSuchEntity")


def test_seed2_detaching_the_policy_revokes_and_reattaching_restores(lab: Lab) -> None:
    key_id = alice_key_id(lab)
    root, alice = lab.root, lab.alice
    root("iam", "detach-group-policy", "--group-name", "KMSUsers", "--policy-arn", KMS_USERS_POLICY_ARN)
    try:
        assert root("iam", "list-attached-group-policies", "--group-name", "KMSUsers")["AttachedPolicies"] == []
        assert root("iam", "get-policy", "--policy-arn", KMS_USERS_POLICY_ARN)["Policy"]["AttachmentCount"] == 0
        pt = lab.tmp / "detached.bin"
        pt.write_bytes(b"no longer")
        stderr = alice.fail("kms", "encrypt", "--key-id", key_id, "--plaintext", f"fileb://{pt}")
        assert_cli_error(stderr, "AccessDeniedException", ALICE_ARN, "kms:Encrypt")
        # Identity needs no permission: get-caller-identity still answers.
        assert alice("sts", "get-caller-identity")["Arn"] == ALICE_ARN
    finally:
        root("iam", "attach-group-policy", "--group-name", "KMSUsers", "--policy-arn", KMS_USERS_POLICY_ARN)
    cli_encrypt_decrypt(alice, lab.tmp, key_id, b"access is back")


def test_seed2_inactive_access_key_is_refused_at_once(lab: Lab) -> None:
    key_id = alice_key_id(lab)
    root, alice = lab.root, lab.alice
    access_key = lab.alice_creds.access_key
    root("iam", "update-access-key", "--user-name", "alice", "--access-key-id", access_key, "--status", "Inactive")
    try:
        (meta,) = root("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"]
        assert meta["Status"] == "Inactive"
        assert_cli_error(alice.fail("sts", "get-caller-identity"), "InvalidClientTokenId")
        assert_cli_error(alice.fail("iam", "list-users"), "InvalidClientTokenId")
        assert_cli_error(alice.fail("kms", "describe-key", "--key-id", key_id), "UnrecognizedClientException")
        expect("InvalidClientTokenId", 403, aws_client(lab.server, "sts", lab.alice_creds).get_caller_identity)
        expect("UnrecognizedClientException", 400, aws_client(lab.server, "kms", lab.alice_creds).list_keys)
    finally:
        root("iam", "update-access-key", "--user-name", "alice", "--access-key-id", access_key, "--status", "Active")
    assert alice("sts", "get-caller-identity")["Arn"] == ALICE_ARN
    assert alice("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyId"] == key_id


def test_seed2_one_endpoint_variable_serves_iam_sts_and_kms(lab: Lab) -> None:
    """AWS_ENDPOINT_URL alone (no per-service variables) points every service of the CLI at kmsd."""
    env = lab.alice.env(with_endpoint_env=False)
    env["AWS_ENDPOINT_URL"] = lab.server.endpoint
    for args, member in (
        (["sts", "get-caller-identity"], "Arn"),
        (["kms", "list-keys"], "Keys"),
        (["iam", "list-users"], None),  # alice may not: the refusal must still come from kmsd
    ):
        proc = subprocess.run(
            [lab.alice.exe, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=120
        )
        if member is None:
            assert_cli_error(proc.stderr, "AccessDenied", ALICE_ARN)
        else:
            assert proc.returncode == 0, proc.stderr
            assert member in json.loads(proc.stdout)


def test_seed2_teardown_in_aws_order(lab: Lab) -> None:
    """Runs last in the lab: alice, her key, the group and the policy are gone afterwards."""
    root = lab.root
    access_key = lab.alice_creds.access_key
    assert_cli_error(root.fail("iam", "delete-user", "--user-name", "alice"), "DeleteConflict")
    expect("DeleteConflict", 409, aws_client(lab.server, "iam").delete_user, UserName="alice")
    assert_cli_error(root.fail("iam", "delete-group", "--group-name", "KMSUsers"), "DeleteConflict")
    assert_cli_error(root.fail("iam", "delete-policy", "--policy-arn", KMS_USERS_POLICY_ARN), "DeleteConflict")

    root("iam", "remove-user-from-group", "--group-name", "KMSUsers", "--user-name", "alice")
    assert root("iam", "get-group", "--group-name", "KMSUsers")["Users"] == []
    # Still holds an access key.
    assert_cli_error(root.fail("iam", "delete-user", "--user-name", "alice"), "DeleteConflict")
    root("iam", "delete-access-key", "--user-name", "alice", "--access-key-id", access_key)
    assert root("iam", "list-access-keys", "--user-name", "alice")["AccessKeyMetadata"] == []
    root("iam", "delete-user", "--user-name", "alice")

    assert_cli_error(root.fail("iam", "get-user", "--user-name", "alice"), "NoSuchEntity")
    expect("NoSuchEntity", 404, aws_client(lab.server, "iam").get_user, UserName="alice")
    assert "alice" not in [u["UserName"] for u in root("iam", "list-users")["Users"]]
    assert_cli_error(lab.alice.fail("sts", "get-caller-identity"), "InvalidClientTokenId")

    root("iam", "detach-group-policy", "--group-name", "KMSUsers", "--policy-arn", KMS_USERS_POLICY_ARN)
    root("iam", "delete-group", "--group-name", "KMSUsers")
    root("iam", "delete-policy", "--policy-arn", KMS_USERS_POLICY_ARN)
    assert_cli_error(root.fail("iam", "get-group", "--group-name", "KMSUsers"), "NoSuchEntity")
    assert_cli_error(root.fail("iam", "get-policy", "--policy-arn", KMS_USERS_POLICY_ARN), "NoSuchEntity")
    # alice's key outlives her: keys belong to the account.
    if lab.alice_key is not None:
        md = root("kms", "describe-key", "--key-id", lab.alice_key["KeyId"])["KeyMetadata"]
        assert md["KeyState"] == "Enabled"


# =============================================================================================
# Seed 1: role switch from 111122223333 into 098765432109
# =============================================================================================


@dataclass
class RoleLab:
    server: KmsdServer
    tmp: Path
    root: IdentityCli  # root of 111122223333
    role_root: IdentityCli  # root of 098765432109
    alice: IdentityCli
    alice_creds: Credentials
    role_id: str


@pytest.fixture(scope="module")
def role_lab(
    kmsd_factory: Callable[..., KmsdServer],
    make_identity_cli: Callable[..., IdentityCli],
    tmp_path_factory: pytest.TempPathFactory,
) -> RoleLab:
    """The seed 1 set-up through the CLI: role admin in 098765432109, alice in 111122223333."""
    server = kmsd_factory("kmsd-seed1", accounts=(ROLE_ACCOUNT, OUTSIDER_ACCOUNT))
    tmp = tmp_path_factory.mktemp("seed1")
    root = make_identity_cli(server)
    role_root = make_identity_cli(server, ROLE_ACCOUNT.root)

    assert role_root("sts", "get-caller-identity")["Arn"] == ROLE_ACCOUNT.root_arn
    role = role_root(
        "iam", "create-role", "--role-name", "admin",
        "--assume-role-policy-document", write_json(tmp / "trust.json", ADMIN_TRUST),
    )["Role"]  # fmt: skip
    assert role["Arn"] == ADMIN_ROLE_ARN
    assert role["RoleId"].startswith("AROA")
    role_root(
        "iam", "put-role-policy", "--role-name", "admin", "--policy-name", "kms-admin",
        "--policy-document", write_json(tmp / "kms-all.json", ADMIN_KMS_ALL),
    )  # fmt: skip

    assert root("iam", "create-user", "--user-name", "alice")["User"]["Arn"] == ALICE_ARN
    key = root("iam", "create-access-key", "--user-name", "alice")["AccessKey"]
    root(
        "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume-admin",
        "--policy-document", write_json(tmp / "assume-admin.json", ALICE_MAY_ASSUME_ADMIN),
    )  # fmt: skip
    creds = Credentials.from_access_key(key)
    return RoleLab(server, tmp, root, role_root, root.as_(creds), creds, role["RoleId"])


def assume_admin(lab: RoleLab, *extra: str) -> dict[str, Any]:
    out: dict[str, Any] = lab.alice(
        "sts", "assume-role", "--role-arn", ADMIN_ROLE_ARN, "--role-session-name", "alice-session", *extra
    )
    return out


def test_seed1_role_is_set_up_in_the_role_account_only(role_lab: RoleLab) -> None:
    got = role_lab.role_root("iam", "get-role", "--role-name", "admin")["Role"]
    assert got["Arn"] == ADMIN_ROLE_ARN
    assert got["AssumeRolePolicyDocument"] == ADMIN_TRUST
    assert got["MaxSessionDuration"] == 3600
    assert role_lab.role_root("iam", "list-role-policies", "--role-name", "admin")["PolicyNames"] == ["kms-admin"]
    inline = role_lab.role_root("iam", "get-role-policy", "--role-name", "admin", "--policy-name", "kms-admin")
    assert inline["PolicyDocument"] == ADMIN_KMS_ALL
    # 111122223333 has no role of that name, and 098765432109 no alice.
    assert_cli_error(role_lab.root.fail("iam", "get-role", "--role-name", "admin"), "NoSuchEntity")
    assert_cli_error(role_lab.role_root.fail("iam", "get-user", "--user-name", "alice"), "NoSuchEntity")
    doc = role_lab.root("iam", "get-user-policy", "--user-name", "alice", "--policy-name", "assume-admin")
    assert doc["PolicyDocument"] == ALICE_MAY_ASSUME_ADMIN


def test_seed1_alice_assumes_admin_across_accounts(role_lab: RoleLab) -> None:
    out = assume_admin(role_lab)
    creds = out["Credentials"]
    assert SESSION_ACCESS_KEY_ID_RE.match(creds["AccessKeyId"]), creds["AccessKeyId"]
    assert len(creds["SecretAccessKey"]) == 40
    assert creds["SessionToken"]
    assert abs(seconds_until(creds["Expiration"]) - 3600) < 120, creds["Expiration"]
    assert out["AssumedRoleUser"]["Arn"] == ALICE_SESSION_ARN
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role_lab.role_id}:alice-session"

    session = role_lab.alice.as_(Credentials.from_sts(creds))
    ident = session("sts", "get-caller-identity")
    assert ident["Arn"] == ALICE_SESSION_ARN
    assert ident["Account"] == ROLE_ACCOUNT.id
    assert ident["UserId"] == f"{role_lab.role_id}:alice-session"


def test_seed1_session_uses_kms_in_the_role_account(role_lab: RoleLab) -> None:
    session = role_lab.alice.as_(Credentials.from_sts(assume_admin(role_lab)["Credentials"]))
    md = session("kms", "create-key", "--description", "made by the admin role")["KeyMetadata"]
    assert md["AWSAccountId"] == ROLE_ACCOUNT.id
    assert md["Arn"] == ROLE_ACCOUNT.key_arn_prefix() + md["KeyId"]
    cli_encrypt_decrypt(session, role_lab.tmp, md["KeyId"], b"cross-account secret")
    session("kms", "disable-key", "--key-id", md["KeyId"])  # kms:* covers key management too
    session("kms", "enable-key", "--key-id", md["KeyId"])
    # The key is in 098765432109: its root sees it, 111122223333's root does not list it.
    assert role_lab.role_root("kms", "describe-key", "--key-id", md["KeyId"])["KeyMetadata"]["Arn"] == md["Arn"]
    assert md["KeyId"] not in [k["KeyId"] for k in role_lab.root("kms", "list-keys")["Keys"]]
    # The role grants nothing in IAM, and a key of 111122223333 (default policy) is not the session's.
    assert_cli_error(session.fail("iam", "list-users"), "AccessDenied", ALICE_SESSION_ARN, "iam:ListUsers")
    home_key = role_lab.root("kms", "create-key")["KeyMetadata"]["Arn"]
    pt = role_lab.tmp / "home.bin"
    pt.write_bytes(b"x")
    stderr = session.fail("kms", "encrypt", "--key-id", home_key, "--plaintext", f"fileb://{pt}")
    assert_cli_error(stderr, "AccessDeniedException", ALICE_SESSION_ARN)


def test_seed1_without_her_assume_role_policy_alice_is_denied(role_lab: RoleLab) -> None:
    root = role_lab.root
    root("iam", "delete-user-policy", "--user-name", "alice", "--policy-name", "assume-admin")
    try:
        stderr = role_lab.alice.fail(
            "sts", "assume-role", "--role-arn", ADMIN_ROLE_ARN, "--role-session-name", "alice-session"
        )
        assert_cli_error(stderr, "AccessDenied", ALICE_ARN, "sts:AssumeRole", ADMIN_ROLE_ARN)
        expect(
            "AccessDenied", 403, aws_client(role_lab.server, "sts", role_lab.alice_creds).assume_role,
            RoleArn=ADMIN_ROLE_ARN, RoleSessionName="alice-session",
        )  # fmt: skip
    finally:
        root(
            "iam", "put-user-policy", "--user-name", "alice", "--policy-name", "assume-admin",
            "--policy-document", write_json(role_lab.tmp / "assume-admin.json", ALICE_MAY_ASSUME_ADMIN),
        )  # fmt: skip
    assert assume_admin(role_lab)["AssumedRoleUser"]["Arn"] == ALICE_SESSION_ARN


def test_seed1_users_the_trust_policy_does_not_cover_are_denied(role_lab: RoleLab) -> None:
    # bob of 444455556666 may assume any role as far as his own account is concerned.
    outsider_root = role_lab.alice.as_(OUTSIDER_ACCOUNT.root)
    outsider_root("iam", "create-user", "--user-name", "bob")
    outsider_root(
        "iam", "put-user-policy", "--user-name", "bob", "--policy-name", "assume-anything",
        "--policy-document", write_json(role_lab.tmp / "bob.json", MAY_ASSUME_ANY_ROLE),
    )  # fmt: skip
    bob = Credentials.from_access_key(outsider_root("iam", "create-access-key", "--user-name", "bob")["AccessKey"])
    stderr = role_lab.alice.as_(bob).fail(
        "sts", "assume-role", "--role-arn", ADMIN_ROLE_ARN, "--role-session-name", "bob-session"
    )
    assert_cli_error(stderr, "AccessDenied", OUTSIDER_ACCOUNT.user_arn("bob"), "sts:AssumeRole")
    expect(
        "AccessDenied", 403, aws_client(role_lab.server, "sts", bob).assume_role,
        RoleArn=ADMIN_ROLE_ARN, RoleSessionName="bob-session",
    )  # fmt: skip

    # A user of the role's own account is not trusted either: a role's trust policy must allow the caller.
    role_root = role_lab.role_root
    role_root("iam", "create-user", "--user-name", "carol")
    role_root(
        "iam", "put-user-policy", "--user-name", "carol", "--policy-name", "assume-admin",
        "--policy-document", write_json(role_lab.tmp / "carol.json", ALICE_MAY_ASSUME_ADMIN),
    )  # fmt: skip
    carol = Credentials.from_access_key(role_root("iam", "create-access-key", "--user-name", "carol")["AccessKey"])
    expect(
        "AccessDenied", 403, aws_client(role_lab.server, "sts", carol).assume_role,
        RoleArn=ADMIN_ROLE_ARN, RoleSessionName="carol-session",
    )  # fmt: skip


def test_seed1_root_credentials_cannot_assume_the_role(role_lab: RoleLab) -> None:
    # The trusted account's root, whose account the trust policy names.
    stderr = role_lab.root.fail("sts", "assume-role", "--role-arn", ADMIN_ROLE_ARN, "--role-session-name", "root")
    assert_cli_error(stderr, "AccessDenied")
    expect(
        "AccessDenied", 403, aws_client(role_lab.server, "sts").assume_role,
        RoleArn=ADMIN_ROLE_ARN, RoleSessionName="root",
    )  # fmt: skip
    # Nor the root of the role's own account.
    expect(
        "AccessDenied", 403, aws_client(role_lab.server, "sts", ROLE_ACCOUNT.root).assume_role,
        RoleArn=ADMIN_ROLE_ARN, RoleSessionName="root",
    )  # fmt: skip


def test_seed1_session_duration_limits(role_lab: RoleLab) -> None:
    # 899 is below botocore's own minimum, so the CLI would refuse it before sending: use boto3 unvalidated.
    sts = aws_client(role_lab.server, "sts", role_lab.alice_creds, parameter_validation=False)
    expect(
        "ValidationError",
        400,
        sts.assume_role,
        RoleArn=ADMIN_ROLE_ARN,
        RoleSessionName="alice-session",
        DurationSeconds=899,
    )
    for seconds in ("43201", "7200"):
        stderr = role_lab.alice.fail(
            "sts", "assume-role", "--role-arn", ADMIN_ROLE_ARN, "--role-session-name", "alice-session",
            "--duration-seconds", seconds,
        )  # fmt: skip
        assert_cli_error(stderr, "ValidationError")
        expect(
            "ValidationError", 400, sts.assume_role,
            RoleArn=ADMIN_ROLE_ARN, RoleSessionName="alice-session", DurationSeconds=int(seconds),
        )  # fmt: skip
    # The bounds themselves are fine: 900 and the role's MaxSessionDuration, 3600.
    for seconds in (900, 3600):
        out = assume_admin(role_lab, "--duration-seconds", str(seconds))
        assert abs(seconds_until(out["Credentials"]["Expiration"]) - seconds) < 120


def test_seed1_session_expires_after_its_hour(role_lab: RoleLab) -> None:
    """Runs last in the module: moves the server's clock past the session's hour."""
    creds = Credentials.from_sts(assume_admin(role_lab)["Credentials"])
    session = role_lab.alice.as_(creds)
    key_id = session("kms", "create-key")["KeyMetadata"]["KeyId"]
    assert session("sts", "get-caller-identity")["Arn"] == ALICE_SESSION_ARN

    role_lab.server.advance_clock(3601)

    assert_cli_error(session.fail("kms", "describe-key", "--key-id", key_id), "ExpiredTokenException")
    assert_cli_error(session.fail("sts", "get-caller-identity"), "ExpiredToken")
    expect("ExpiredTokenException", 400, aws_client(role_lab.server, "kms", creds).list_keys)
    expect("ExpiredToken", 403, aws_client(role_lab.server, "sts", creds).get_caller_identity)
    # alice's own key does not expire, and she can start a new session.
    assert role_lab.alice("sts", "get-caller-identity")["Arn"] == ALICE_ARN
    fresh = role_lab.alice.as_(Credentials.from_sts(assume_admin(role_lab)["Credentials"]))
    assert fresh("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["AWSAccountId"] == ROLE_ACCOUNT.id
