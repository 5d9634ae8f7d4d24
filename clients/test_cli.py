"""The real ``aws kms`` CLI (v1) against kmsd.

CLI v1 reads blob arguments as raw bytes from ``fileb://`` and prints blobs as base64.
All calls go through ``AWS_ENDPOINT_URL_KMS`` except the one that checks ``--endpoint-url``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kmsd_harness import (
    ACCOUNT_ID,
    KEY_ID_RE,
    AwsCli,
    KmsdServer,
    alias_arn,
    key_arn,
    tags_to_dict,
    unb64,
)

AwsFail = Callable[..., str]


def cli_create_key(aws: AwsCli, *extra: str) -> dict[str, Any]:
    metadata: dict[str, Any] = aws("kms", "create-key", *extra)["KeyMetadata"]
    return metadata


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return f"fileb://{path}"


def cli_encrypt(aws: AwsCli, tmp_path: Path, key: str, plaintext: bytes, *extra: str) -> bytes:
    out = aws("kms", "encrypt", "--key-id", key, "--plaintext", write(tmp_path / "pt.bin", plaintext), *extra)
    return unb64(out["CiphertextBlob"])


# --- keys ---------------------------------------------------------------------------------


def test_create_key_returns_symmetric_metadata_with_description_and_tags(aws: AwsCli) -> None:
    md = cli_create_key(
        aws,
        "--description", "cli created key",
        "--tags", "TagKey=team,TagValue=infra", "TagKey=env,TagValue=dev",
    )  # fmt: skip
    assert KEY_ID_RE.match(md["KeyId"]), md["KeyId"]
    assert md["Arn"] == key_arn(md["KeyId"])
    assert md["AWSAccountId"] == ACCOUNT_ID
    assert md["Description"] == "cli created key"
    assert md["Enabled"] is True
    assert md["KeyState"] == "Enabled"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert "CreationDate" in md
    tags = aws("kms", "list-resource-tags", "--key-id", md["KeyId"])["Tags"]
    assert tags_to_dict(tags) == {"team": "infra", "env": "dev"}


def test_describe_key_accepts_key_id_arn_alias_name_and_alias_arn(aws: AwsCli, unique: Callable[[str], str]) -> None:
    md = cli_create_key(aws)
    alias = unique("alias/cli-describe")
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", md["KeyId"])
    for ident in (md["KeyId"], md["Arn"], alias, alias_arn(alias)):
        got = aws("kms", "describe-key", "--key-id", ident)["KeyMetadata"]
        assert got["KeyId"] == md["KeyId"], ident
        assert got["Arn"] == md["Arn"], ident


def test_list_keys_pages_with_max_items_and_starting_token(private_kmsd: KmsdServer, tmp_path: Path) -> None:
    # A server of its own: on the shared one, paging 2 keys per CLI call through every key is slow.
    aws = AwsCli(private_kmsd, tmp_path / "aws-config")
    created = {cli_create_key(aws)["KeyId"] for _ in range(5)}
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        args = ["kms", "list-keys", "--max-items", "2", "--page-size", "2"]
        if token is not None:
            args += ["--starting-token", token]
        out = aws(*args)
        assert len(out["Keys"]) <= 2
        for entry in out["Keys"]:
            assert entry["KeyArn"] == key_arn(entry["KeyId"])
        seen += [k["KeyId"] for k in out["Keys"]]
        pages += 1
        token = out.get("NextToken")
        if token is None:
            break
        assert pages < 10, "pagination does not terminate"
    assert len(seen) == len(set(seen)), "a key was listed twice across pages"
    assert set(seen) == created
    assert pages == 3
    # Auto-pagination with a small page size walks every server page.
    assert {k["KeyId"] for k in aws("kms", "list-keys", "--page-size", "1")["Keys"]} == created


def test_update_key_description_changes_describe_output(aws: AwsCli) -> None:
    md = cli_create_key(aws, "--description", "before")
    assert aws("kms", "update-key-description", "--key-id", md["Arn"], "--description", "after") == {}
    assert aws("kms", "describe-key", "--key-id", md["KeyId"])["KeyMetadata"]["Description"] == "after"


def test_disable_key_blocks_encrypt_with_disabled_exception_until_enabled(
    aws: AwsCli, aws_fail: AwsFail, tmp_path: Path
) -> None:
    key_id = cli_create_key(aws)["KeyId"]
    aws("kms", "disable-key", "--key-id", key_id)
    md = aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]
    assert (md["KeyState"], md["Enabled"]) == ("Disabled", False)
    err = aws_fail("kms", "encrypt", "--key-id", key_id, "--plaintext", write(tmp_path / "p", b"x"))
    assert "DisabledException" in err
    aws("kms", "enable-key", "--key-id", key_id)
    md = aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]
    assert (md["KeyState"], md["Enabled"]) == ("Enabled", True)
    assert cli_encrypt(aws, tmp_path, key_id, b"x")


# --- aliases -------------------------------------------------------------------------------


def test_alias_create_list_update_delete(aws: AwsCli, aws_fail: AwsFail, unique: Callable[[str], str]) -> None:
    first = cli_create_key(aws)["KeyId"]
    second = cli_create_key(aws)["KeyId"]
    alias = unique("alias/cli-lifecycle")
    assert aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", first) == {}

    listed = aws("kms", "list-aliases", "--key-id", first)["Aliases"]
    assert [a["AliasName"] for a in listed] == [alias]
    assert listed[0]["AliasArn"] == alias_arn(alias)
    assert listed[0]["TargetKeyId"] == first
    all_names = {a["AliasName"] for a in aws("kms", "list-aliases")["Aliases"]}
    assert alias in all_names

    aws("kms", "update-alias", "--alias-name", alias, "--target-key-id", second)
    assert aws("kms", "describe-key", "--key-id", alias)["KeyMetadata"]["KeyId"] == second
    assert aws("kms", "list-aliases", "--key-id", first)["Aliases"] == []
    assert [a["AliasName"] for a in aws("kms", "list-aliases", "--key-id", second)["Aliases"]] == [alias]

    aws("kms", "delete-alias", "--alias-name", alias)
    assert "NotFoundException" in aws_fail("kms", "describe-key", "--key-id", alias)
    assert alias not in {a["AliasName"] for a in aws("kms", "list-aliases")["Aliases"]}


def test_create_alias_rejects_invalid_alias_names(aws: AwsCli, aws_fail: AwsFail) -> None:
    key_id = cli_create_key(aws)["KeyId"]
    no_prefix = aws_fail("kms", "create-alias", "--alias-name", "no-prefix-alias", "--target-key-id", key_id)
    assert "ValidationException" in no_prefix
    bad_chars = aws_fail("kms", "create-alias", "--alias-name", "alias/has space!", "--target-key-id", key_id)
    assert "ValidationException" in bad_chars


# --- encrypt / decrypt / re-encrypt -----------------------------------------------------------


def test_encrypt_decrypt_round_trip_with_encryption_context(aws: AwsCli, aws_fail: AwsFail, tmp_path: Path) -> None:
    md = cli_create_key(aws)
    plaintext = bytes(range(256)) * 4  # not valid UTF-8: proves fileb:// bytes pass through intact
    enc = aws(
        "kms", "encrypt", "--key-id", md["KeyId"],
        "--plaintext", write(tmp_path / "pt.bin", plaintext),
        "--encryption-context", "purpose=test,user=alice",
    )  # fmt: skip
    assert enc["KeyId"] == md["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = write(tmp_path / "ct.bin", unb64(enc["CiphertextBlob"]))

    dec = aws(
        "kms", "decrypt", "--ciphertext-blob", blob, "--key-id", md["KeyId"],
        "--encryption-context", "user=alice,purpose=test",
    )  # fmt: skip
    assert unb64(dec["Plaintext"]) == plaintext
    assert dec["KeyId"] == md["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"

    assert "InvalidCiphertextException" in aws_fail("kms", "decrypt", "--ciphertext-blob", blob)
    assert "InvalidCiphertextException" in aws_fail(
        "kms", "decrypt", "--ciphertext-blob", blob, "--encryption-context", "purpose=test,user=bob"
    )


def test_decrypt_without_key_id_finds_the_key_from_the_ciphertext(aws: AwsCli, tmp_path: Path) -> None:
    md = cli_create_key(aws)
    blob = cli_encrypt(aws, tmp_path, md["Arn"], b"no key id needed")
    dec = aws("kms", "decrypt", "--ciphertext-blob", write(tmp_path / "ct", blob))
    assert dec["KeyId"] == md["Arn"]
    assert unb64(dec["Plaintext"]) == b"no key id needed"
    text = aws("kms", "decrypt", "--ciphertext-blob", write(tmp_path / "ct", blob), "--query", "Plaintext")
    assert unb64(text) == b"no key id needed"


def test_decrypt_with_wrong_key_id_fails_with_incorrect_key(aws: AwsCli, aws_fail: AwsFail, tmp_path: Path) -> None:
    right = cli_create_key(aws)["KeyId"]
    wrong = cli_create_key(aws)["KeyId"]
    blob = write(tmp_path / "ct", cli_encrypt(aws, tmp_path, right, b"secret"))
    assert "IncorrectKeyException" in aws_fail("kms", "decrypt", "--ciphertext-blob", blob, "--key-id", wrong)


def test_re_encrypt_moves_ciphertext_to_another_key(aws: AwsCli, aws_fail: AwsFail, tmp_path: Path) -> None:
    source = cli_create_key(aws)
    dest = cli_create_key(aws)
    blob = cli_encrypt(aws, tmp_path, source["KeyId"], b"move me", "--encryption-context", "stage=one")
    out = aws(
        "kms", "re-encrypt",
        "--ciphertext-blob", write(tmp_path / "ct", blob),
        "--source-encryption-context", "stage=one",
        "--destination-key-id", dest["KeyId"],
        "--destination-encryption-context", "stage=two",
    )  # fmt: skip
    assert out["SourceKeyId"] == source["Arn"]
    assert out["KeyId"] == dest["Arn"]
    new_blob = write(tmp_path / "ct2", unb64(out["CiphertextBlob"]))
    dec = aws("kms", "decrypt", "--ciphertext-blob", new_blob, "--encryption-context", "stage=two")
    assert dec["KeyId"] == dest["Arn"]
    assert unb64(dec["Plaintext"]) == b"move me"
    assert "IncorrectKeyException" in aws_fail(
        "kms", "decrypt", "--ciphertext-blob", new_blob, "--encryption-context", "stage=two",
        "--key-id", source["KeyId"],
    )  # fmt: skip


# --- data keys and random ---------------------------------------------------------------------


@pytest.mark.parametrize(("args", "size"), [(("--key-spec", "AES_256"), 32), (("--number-of-bytes", "64"), 64)])
def test_generate_data_key_plaintext_matches_decrypted_blob(
    aws: AwsCli, tmp_path: Path, args: tuple[str, str], size: int
) -> None:
    md = cli_create_key(aws)
    out = aws("kms", "generate-data-key", "--key-id", md["KeyId"], *args)
    assert out["KeyId"] == md["Arn"]
    plaintext = unb64(out["Plaintext"])
    assert len(plaintext) == size
    dec = aws("kms", "decrypt", "--ciphertext-blob", write(tmp_path / "dk", unb64(out["CiphertextBlob"])))
    assert unb64(dec["Plaintext"]) == plaintext


def test_generate_data_key_without_plaintext_then_decrypt(
    aws: AwsCli, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    md = cli_create_key(aws)
    alias = unique("alias/cli-gdkwp")
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", md["KeyId"])
    out = aws(
        "kms", "generate-data-key-without-plaintext", "--key-id", alias, "--key-spec", "AES_128",
        "--encryption-context", "bucket=logs",
    )  # fmt: skip
    assert "Plaintext" not in out
    assert out["KeyId"] == md["Arn"]
    dec = aws(
        "kms", "decrypt", "--ciphertext-blob", write(tmp_path / "dk", unb64(out["CiphertextBlob"])),
        "--encryption-context", "bucket=logs", "--key-id", alias,
    )  # fmt: skip
    assert len(unb64(dec["Plaintext"])) == 16


def test_generate_random_returns_requested_number_of_fresh_bytes(aws: AwsCli) -> None:
    first = unb64(aws("kms", "generate-random", "--number-of-bytes", "48")["Plaintext"])
    second = unb64(aws("kms", "generate-random", "--number-of-bytes", "48")["Plaintext"])
    assert len(first) == len(second) == 48
    assert first != second


# --- tags and policies --------------------------------------------------------------------------


def test_tag_list_and_untag_resource(aws: AwsCli) -> None:
    key_id = cli_create_key(aws)["KeyId"]
    assert aws("kms", "list-resource-tags", "--key-id", key_id)["Tags"] == []
    aws("kms", "tag-resource", "--key-id", key_id, "--tags", "TagKey=a,TagValue=1", "TagKey=b,TagValue=2")
    aws("kms", "tag-resource", "--key-id", key_id, "--tags", "TagKey=a,TagValue=overwritten")
    # --no-paginate: the CLI's auto-paginator drops Truncated/NextMarker from merged output.
    out = aws("kms", "list-resource-tags", "--key-id", key_id, "--no-paginate")
    assert tags_to_dict(out["Tags"]) == {"a": "overwritten", "b": "2"}
    assert out["Truncated"] is False
    aws("kms", "untag-resource", "--key-id", key_id, "--tag-keys", "a")
    assert tags_to_dict(aws("kms", "list-resource-tags", "--key-id", key_id)["Tags"]) == {"b": "2"}


def test_default_key_policy_then_put_key_policy(aws: AwsCli) -> None:
    key_id = cli_create_key(aws)["KeyId"]
    assert aws("kms", "list-key-policies", "--key-id", key_id)["PolicyNames"] == ["default"]
    policy = json.loads(aws("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default")["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Version"] == "2012-10-17"
    statement = policy["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert statement["Action"] == "kms:*"
    assert statement["Resource"] == "*"

    new_policy = {
        "Version": "2012-10-17",
        "Id": "custom-policy",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    aws("kms", "put-key-policy", "--key-id", key_id, "--policy-name", "default", "--policy", json.dumps(new_policy))
    got = aws("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default")
    assert json.loads(got["Policy"]) == new_policy


# --- errors and endpoint selection -----------------------------------------------------------------


def test_describe_missing_key_exits_non_zero_with_not_found(aws_fail: AwsFail) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    assert "NotFoundException" in aws_fail("kms", "describe-key", "--key-id", missing)
    assert "NotFoundException" in aws_fail("kms", "describe-key", "--key-id", "alias/does-not-exist-anywhere")


def test_endpoint_url_flag_works_without_the_environment_variable(aws: AwsCli) -> None:
    key_id = cli_create_key(aws)["KeyId"]
    out = aws(
        "kms", "describe-key", "--key-id", key_id, "--endpoint-url", aws.server.endpoint,
        with_endpoint_env=False,
    )  # fmt: skip
    assert out["KeyMetadata"]["KeyId"] == key_id
    assert "AWS_ENDPOINT_URL_KMS" not in aws.env(with_endpoint_env=False)
