"""boto3 against kmsd: the API surface, exact error codes, auth, paging, durability, raw HTTP."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import botocore
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from kmsd_harness import (
    ACCOUNT_ID,
    KEY_ID_RE,
    REGION,
    KmsdServer,
    alias_arn,
    assert_client_error,
    error_code,
    flip_byte,
    key_arn,
    kms_client,
    tags_to_dict,
)

CreateKey = Callable[..., dict[str, Any]]
Unique = Callable[[str], str]
MISSING_KEY_ID = "00000000-1111-2222-3333-444444444444"


def expect_error(code: str, call: Callable[..., Any], /, **params: Any) -> ClientError:
    """Run ``call(**params)``; assert it raises a ClientError with ``code`` and HTTP 400."""
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code)
    return info.value


@pytest.fixture(scope="module")
def kms_novalidate(kmsd: KmsdServer) -> Any:
    """A client that sends out-of-range values (botocore otherwise checks ``min`` itself)."""
    return kms_client(kmsd, parameter_validation=False)


# =============================================================================================
# Keys
# =============================================================================================


def test_create_key_defaults_describe_a_symmetric_customer_key(kms: Any) -> None:
    md = kms.create_key()["KeyMetadata"]
    assert KEY_ID_RE.match(md["KeyId"])
    assert md["Arn"] == key_arn(md["KeyId"])
    assert md["AWSAccountId"] == ACCOUNT_ID
    assert md["Description"] == ""
    assert md["Enabled"] is True and md["KeyState"] == "Enabled"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["KeySpec"] == md["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["Origin"] == "AWS_KMS"
    assert md["KeyManager"] == "CUSTOMER"
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert md.get("MultiRegion") is False
    created = md["CreationDate"]
    assert isinstance(created, datetime.datetime)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - created).total_seconds()) < 300, created
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"] == md


def test_describe_key_resolves_every_identifier_form(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    md = create_key()
    alias = unique("alias/describe")
    kms.create_alias(AliasName=alias, TargetKeyId=md["KeyId"])
    for ident in (md["KeyId"], md["Arn"], alias, alias_arn(alias)):
        assert kms.describe_key(KeyId=ident)["KeyMetadata"]["KeyId"] == md["KeyId"], ident


@pytest.mark.parametrize(
    "ident",
    [MISSING_KEY_ID, key_arn(MISSING_KEY_ID), "alias/never-created", alias_arn("alias/never-created")],
    ids=["key-id", "key-arn", "alias", "alias-arn"],
)
def test_describe_missing_key_is_not_found(kms: Any, ident: str) -> None:
    expect_error("NotFoundException", kms.describe_key, KeyId=ident)


def test_operations_on_a_missing_key_are_not_found(kms: Any, unique: Unique) -> None:
    expect_error("NotFoundException", kms.encrypt, KeyId=MISSING_KEY_ID, Plaintext=b"x")
    expect_error("NotFoundException", kms.generate_data_key, KeyId=MISSING_KEY_ID, KeySpec="AES_256")
    expect_error("NotFoundException", kms.enable_key, KeyId=MISSING_KEY_ID)
    expect_error("NotFoundException", kms.disable_key, KeyId=MISSING_KEY_ID)
    expect_error("NotFoundException", kms.update_key_description, KeyId=MISSING_KEY_ID, Description="x")
    expect_error("NotFoundException", kms.tag_resource, KeyId=MISSING_KEY_ID, Tags=[{"TagKey": "a", "TagValue": "b"}])
    expect_error("NotFoundException", kms.list_resource_tags, KeyId=MISSING_KEY_ID)
    expect_error("NotFoundException", kms.get_key_policy, KeyId=MISSING_KEY_ID, PolicyName="default")
    expect_error("NotFoundException", kms.create_alias, AliasName=unique("alias/orphan"), TargetKeyId=MISSING_KEY_ID)


def test_update_key_description_and_its_8192_char_limit(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key(Description="old")["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="d" * 8192)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "d" * 8192
    expect_error("ValidationException", kms.update_key_description, KeyId=key_id, Description="d" * 8193)
    expect_error("ValidationException", kms.create_key, Description="d" * 8193)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "d" * 8192


@pytest.mark.parametrize(
    "params",
    [{"KeySpec": "NOT_A_SPEC"}, {"KeyUsage": "NOT_A_USAGE"}, {"Origin": "NOT_AN_ORIGIN"}],
    ids=["KeySpec", "KeyUsage", "Origin"],
)
def test_create_key_rejects_unknown_enum_values(kms_novalidate: Any, params: dict[str, str]) -> None:
    expect_error("ValidationException", kms_novalidate.create_key, **params)


def test_create_key_with_explicit_symmetric_spec_usage_and_policy(kms: Any) -> None:
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "given-at-creation",
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
    )
    md = kms.create_key(KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", Origin="AWS_KMS", Policy=policy)[
        "KeyMetadata"
    ]
    assert (md["KeySpec"], md["KeyUsage"], md["Origin"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS")
    got = kms.get_key_policy(KeyId=md["KeyId"], PolicyName="default")["Policy"]
    assert json.loads(got) == json.loads(policy)


def test_update_key_description_accepts_the_empty_string(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key(Description="something")["KeyId"]
    kms.update_key_description(KeyId=key_id, Description="")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ""


def test_disable_and_enable_are_idempotent_and_tracked_in_metadata(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    kms.disable_key(KeyId=key_id)
    kms.disable_key(KeyId=key_id)
    md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (md["Enabled"], md["KeyState"]) == (False, "Disabled")
    kms.enable_key(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (md["Enabled"], md["KeyState"]) == (True, "Enabled")


def test_crypto_on_a_disabled_key_is_disabled_exception(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    key_id = create_key()["KeyId"]
    other = create_key()["KeyId"]
    alias = unique("alias/disabled")
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    other_blob = kms.encrypt(KeyId=other, Plaintext=b"other")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)

    expect_error("DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("DisabledException", kms.encrypt, KeyId=alias, Plaintext=b"x")
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=blob)
    expect_error("DisabledException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    expect_error("DisabledException", kms.generate_data_key_without_plaintext, KeyId=key_id, KeySpec="AES_256")
    expect_error("DisabledException", kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=other)
    expect_error("DisabledException", kms.re_encrypt, CiphertextBlob=other_blob, DestinationKeyId=key_id)
    # Management calls still work on a disabled key.
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "state", "TagValue": "disabled"}])
    kms.update_key_description(KeyId=key_id, Description="disabled but editable")

    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


# =============================================================================================
# Aliases
# =============================================================================================


def test_alias_lifecycle_create_update_delete(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    first = create_key()["KeyId"]
    second = create_key()["KeyId"]
    alias = unique("alias/lifecycle")
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn(first))
    [entry] = kms.list_aliases(KeyId=first)["Aliases"]
    assert entry["AliasName"] == alias
    assert entry["AliasArn"] == alias_arn(alias)
    assert entry["TargetKeyId"] == first
    assert isinstance(entry.get("CreationDate"), datetime.datetime)

    kms.update_alias(AliasName=alias, TargetKeyId=second)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == second
    assert kms.list_aliases(KeyId=first)["Aliases"] == []
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key_arn(second))["Aliases"]] == [alias]

    kms.delete_alias(AliasName=alias)
    expect_error("NotFoundException", kms.describe_key, KeyId=alias)
    expect_error("NotFoundException", kms.delete_alias, AliasName=alias)
    expect_error("NotFoundException", kms.update_alias, AliasName=alias, TargetKeyId=first)


def test_create_alias_twice_is_already_exists(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    first = create_key()["KeyId"]
    second = create_key()["KeyId"]
    alias = unique("alias/dup")
    kms.create_alias(AliasName=alias, TargetKeyId=first)
    expect_error("AlreadyExistsException", kms.create_alias, AliasName=alias, TargetKeyId=second)
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == first


def test_alias_names_are_case_sensitive(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    lower = unique("alias/case")
    upper = lower.replace("alias/case", "alias/CASE")
    a = create_key()["KeyId"]
    b = create_key()["KeyId"]
    kms.create_alias(AliasName=lower, TargetKeyId=a)
    kms.create_alias(AliasName=upper, TargetKeyId=b)
    assert kms.describe_key(KeyId=lower)["KeyMetadata"]["KeyId"] == a
    assert kms.describe_key(KeyId=upper)["KeyMetadata"]["KeyId"] == b


@pytest.mark.parametrize(
    "name",
    ["no-prefix", "alias/has space", "alias/bad*char", "alias/" + "a" * 251],
    ids=["missing-prefix", "space", "asterisk", "257-chars"],
)
def test_create_alias_rejects_invalid_names_with_validation_exception(
    kms: Any, create_key: CreateKey, name: str
) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms.create_alias, AliasName=name, TargetKeyId=key_id)


def test_create_alias_in_reserved_aws_namespace_is_refused(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName=f"alias/aws/custom-{uuid.uuid4().hex[:8]}", TargetKeyId=key_id)
    # The exact code is not documented (InvalidAliasNameException / NotAuthorizedException in the wild).
    assert error_code(info.value) in {"InvalidAliasNameException", "NotAuthorizedException", "AccessDeniedException"}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_alias_is_not_accepted_as_alias_target(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    key_id = create_key()["KeyId"]
    alias = unique("alias/target")
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    with pytest.raises(ClientError) as info:
        kms.create_alias(AliasName=unique("alias/chained"), TargetKeyId=alias)
    assert error_code(info.value) in {"NotFoundException", "ValidationException", "InvalidArnException"}


def test_fifty_aliases_per_key_then_limit_exceeded(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    key_id = create_key()["KeyId"]
    for _ in range(50):
        kms.create_alias(AliasName=unique("alias/many"), TargetKeyId=key_id)
    expect_error("LimitExceededException", kms.create_alias, AliasName=unique("alias/many"), TargetKeyId=key_id)


def test_list_aliases_pages_with_limit_marker_and_truncated(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    key_id = create_key()["KeyId"]
    names = {unique("alias/page") for _ in range(5)}
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    seen: list[str] = []
    marker: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"KeyId": key_id, "Limit": 2}
        if marker is not None:
            params["Marker"] = marker
        page = kms.list_aliases(**params)
        assert len(page["Aliases"]) <= 2
        seen += [a["AliasName"] for a in page["Aliases"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
        assert marker
    else:
        pytest.fail("ListAliases never stopped being Truncated")
    assert sorted(seen) == sorted(names)
    # Unfiltered paging covers every alias too.
    paginated = [
        a["AliasName"]
        for p in kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 3})
        for a in p["Aliases"]
    ]
    assert len(paginated) == len(set(paginated))
    assert names <= set(paginated)


def test_list_aliases_limit_and_marker_validation(kms: Any, kms_novalidate: Any) -> None:
    expect_error("ValidationException", kms.list_aliases, Limit=101)
    expect_error("ValidationException", kms_novalidate.list_aliases, Limit=0)
    expect_error("InvalidMarkerException", kms.list_aliases, Marker="not-a-real-marker")


def test_list_aliases_for_missing_key_is_not_found(kms: Any) -> None:
    expect_error("NotFoundException", kms.list_aliases, KeyId=MISSING_KEY_ID)


# =============================================================================================
# ListKeys
# =============================================================================================


def test_list_keys_pages_with_limit_marker_and_truncated(kms: Any, create_key: CreateKey) -> None:
    created = {create_key()["KeyId"] for _ in range(5)}
    seen: list[str] = []
    marker: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"Limit": 2}
        if marker is not None:
            params["Marker"] = marker
        page = kms.list_keys(**params)
        pages += 1
        assert 1 <= len(page["Keys"]) <= 2 or not page["Truncated"]
        for entry in page["Keys"]:
            assert entry["KeyArn"] == key_arn(entry["KeyId"])
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
        assert pages < 1000
    assert pages >= 3
    assert len(seen) == len(set(seen)), "a key appeared on two pages"
    assert created <= set(seen)
    everything = kms.list_keys(Limit=1000)
    assert everything["Truncated"] is False
    assert {k["KeyId"] for k in everything["Keys"]} == set(seen)


def test_list_keys_limit_out_of_range_is_validation(kms: Any, kms_novalidate: Any) -> None:
    expect_error("ValidationException", kms.list_keys, Limit=1001)
    expect_error("ValidationException", kms_novalidate.list_keys, Limit=0)


def test_list_keys_bad_marker_is_invalid_marker(kms: Any) -> None:
    expect_error("InvalidMarkerException", kms.list_keys, Marker="bogus-marker")


# =============================================================================================
# Encrypt / Decrypt / ReEncrypt
# =============================================================================================


@pytest.mark.parametrize("size", [1, 100, 4096])
def test_encrypt_decrypt_round_trip_sizes(kms: Any, create_key: CreateKey, size: int) -> None:
    md = create_key()
    plaintext = os.urandom(size)
    enc = kms.encrypt(KeyId=md["KeyId"], Plaintext=plaintext)
    assert enc["KeyId"] == md["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert enc["CiphertextBlob"] != plaintext
    assert len(enc["CiphertextBlob"]) <= 6144
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == md["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"


def test_encrypting_twice_gives_different_ciphertexts(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    a = kms.encrypt(KeyId=key_id, Plaintext=b"same")["CiphertextBlob"]
    b = kms.encrypt(KeyId=key_id, Plaintext=b"same")["CiphertextBlob"]
    assert a != b


def test_encrypt_and_decrypt_accept_every_key_identifier_form(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    md = create_key()
    alias = unique("alias/forms")
    kms.create_alias(AliasName=alias, TargetKeyId=md["KeyId"])
    for ident in (md["KeyId"], md["Arn"], alias, alias_arn(alias)):
        blob = kms.encrypt(KeyId=ident, Plaintext=b"form")["CiphertextBlob"]
        for dec_ident in (md["KeyId"], md["Arn"], alias, alias_arn(alias)):
            dec = kms.decrypt(CiphertextBlob=blob, KeyId=dec_ident)
            assert dec["Plaintext"] == b"form", (ident, dec_ident)
            assert dec["KeyId"] == md["Arn"]


def test_encrypt_plaintext_over_4096_bytes_is_validation(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms.encrypt, KeyId=key_id, Plaintext=b"a" * 4097)


def test_encrypt_empty_plaintext_is_validation(kms_novalidate: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms_novalidate.encrypt, KeyId=key_id, Plaintext=b"")


def test_encrypt_with_an_asymmetric_algorithm_on_a_symmetric_key_is_invalid_key_usage(
    kms: Any, create_key: CreateKey
) -> None:
    key_id = create_key()["KeyId"]
    expect_error(
        "InvalidKeyUsageException", kms.encrypt, KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )


def test_explicit_symmetric_default_algorithm_round_trips(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"alg", EncryptionAlgorithm="SYMMETRIC_DEFAULT")["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionAlgorithm="SYMMETRIC_DEFAULT")
    assert out["Plaintext"] == b"alg"


def test_encrypt_dry_run_is_dry_run_operation(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    with pytest.raises(ClientError) as info:
        kms.encrypt(KeyId=key_id, Plaintext=b"x", DryRun=True)
    assert error_code(info.value) == "DryRunOperationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] in {400, 412}


def test_decrypt_ciphertext_over_6144_bytes_is_validation(kms: Any) -> None:
    expect_error("ValidationException", kms.decrypt, CiphertextBlob=b"\x01" * 6145)


def test_every_single_byte_flip_of_a_ciphertext_is_invalid_ciphertext(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"tamper-evident", EncryptionContext={"k": "v"})["CiphertextBlob"]
    wrong: list[str] = []
    for index in range(len(blob)):
        try:
            kms.decrypt(CiphertextBlob=flip_byte(blob, index), EncryptionContext={"k": "v"})
        except ClientError as err:
            if (
                error_code(err) != "InvalidCiphertextException"
                or err.response["ResponseMetadata"]["HTTPStatusCode"] != 400
            ):
                wrong.append(f"byte {index}: {error_code(err)}")
        else:
            wrong.append(f"byte {index}: decrypted")
    assert not wrong, f"{len(wrong)}/{len(blob)} flips not rejected as InvalidCiphertextException: {wrong[:10]}"


@pytest.mark.parametrize(
    "blob",
    [b"\x00", b"garbage that is not a kms ciphertext blob at all" * 3, os.urandom(512)],
    ids=["one-byte", "text", "random"],
)
def test_decrypt_of_foreign_bytes_is_invalid_ciphertext(kms: Any, blob: bytes) -> None:
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)


def test_truncated_ciphertext_is_invalid_ciphertext(kms: Any, create_key: CreateKey) -> None:
    blob = kms.encrypt(KeyId=create_key()["KeyId"], Plaintext=b"truncate me")["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob[:-1])
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob[: len(blob) // 2])


def test_encryption_context_must_match_exactly(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    context = {"purpose": "test", "user": "alice", "ünïcode": "välue ✓"}
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"ctx", EncryptionContext=context)["CiphertextBlob"]
    reordered = dict(reversed(list(context.items())))
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"ctx"
    for bad in (
        None,
        {},
        {"purpose": "test", "user": "alice"},
        {**context, "extra": "1"},
        {**context, "user": "Alice"},
        {k.upper(): v for k, v in context.items()},
    ):
        params: dict[str, Any] = {"CiphertextBlob": blob}
        if bad is not None:
            params["EncryptionContext"] = bad
        expect_error("InvalidCiphertextException", kms.decrypt, **params)
    plain_blob = kms.encrypt(KeyId=key_id, Plaintext=b"no ctx")["CiphertextBlob"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=plain_blob, EncryptionContext={"a": "b"})


def test_decrypt_with_another_keys_id_is_incorrect_key(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    right = create_key()["KeyId"]
    wrong = create_key()["KeyId"]
    alias = unique("alias/wrong")
    kms.create_alias(AliasName=alias, TargetKeyId=wrong)
    blob = kms.encrypt(KeyId=right, Plaintext=b"mine")["CiphertextBlob"]
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=wrong)
    expect_error("IncorrectKeyException", kms.decrypt, CiphertextBlob=blob, KeyId=alias)
    expect_error(
        "IncorrectKeyException", kms.re_encrypt, CiphertextBlob=blob, SourceKeyId=wrong, DestinationKeyId=right
    )


def test_re_encrypt_to_another_key_with_new_context(kms: Any, create_key: CreateKey, unique: Unique) -> None:
    source = create_key()
    dest = create_key()
    alias = unique("alias/reencrypt-dest")
    kms.create_alias(AliasName=alias, TargetKeyId=dest["KeyId"])
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"rewrap", EncryptionContext={"s": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "1"},
        SourceKeyId=source["Arn"],
        DestinationKeyId=alias,
        DestinationEncryptionContext={"d": "2"},
    )
    assert out["SourceKeyId"] == source["Arn"]
    assert out["KeyId"] == dest["Arn"]
    assert out["SourceEncryptionAlgorithm"] == out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    dec = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"d": "2"})
    assert (dec["Plaintext"], dec["KeyId"]) == (b"rewrap", dest["Arn"])
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"])
    expect_error(
        "InvalidCiphertextException",
        kms.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "wrong"},
        DestinationKeyId=dest["KeyId"],
    )
    expect_error(
        "NotFoundException",
        kms.re_encrypt,
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "1"},
        DestinationKeyId=MISSING_KEY_ID,
    )


# =============================================================================================
# Data keys and random
# =============================================================================================


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({"KeySpec": "AES_128"}, 16),
        ({"KeySpec": "AES_256"}, 32),
        ({"NumberOfBytes": 1}, 1),
        ({"NumberOfBytes": 1024}, 1024),
    ],
)
def test_generate_data_key_sizes_and_blob_decrypts_to_plaintext(
    kms: Any, create_key: CreateKey, params: dict[str, Any], size: int
) -> None:
    md = create_key()
    out = kms.generate_data_key(KeyId=md["KeyId"], EncryptionContext={"dk": "yes"}, **params)
    assert out["KeyId"] == md["Arn"]
    assert len(out["Plaintext"]) == size
    dec = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"dk": "yes"})
    assert dec["Plaintext"] == out["Plaintext"]
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=out["CiphertextBlob"])


def test_generate_data_key_without_plaintext_omits_plaintext(kms: Any, create_key: CreateKey) -> None:
    md = create_key()
    out = kms.generate_data_key_without_plaintext(KeyId=md["Arn"], KeySpec="AES_256")
    assert "Plaintext" not in out
    assert out["KeyId"] == md["Arn"]
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 32
    out = kms.generate_data_key_without_plaintext(KeyId=md["KeyId"], NumberOfBytes=7)
    assert len(kms.decrypt(CiphertextBlob=out["CiphertextBlob"])["Plaintext"]) == 7


def test_generate_data_key_needs_exactly_one_of_keyspec_and_number_of_bytes(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256", NumberOfBytes=32)
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id)
    expect_error(
        "ValidationException",
        kms.generate_data_key_without_plaintext,
        KeyId=key_id,
        KeySpec="AES_128",
        NumberOfBytes=16,
    )
    expect_error("ValidationException", kms.generate_data_key_without_plaintext, KeyId=key_id)


def test_generate_data_key_range_and_enum_validation(kms: Any, kms_novalidate: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id, NumberOfBytes=1025)
    expect_error("ValidationException", kms_novalidate.generate_data_key, KeyId=key_id, NumberOfBytes=0)
    expect_error("ValidationException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_512")


def test_generate_random_lengths_and_range(kms: Any, kms_novalidate: Any) -> None:
    for n in (1, 32, 1024):
        assert len(kms.generate_random(NumberOfBytes=n)["Plaintext"]) == n
    assert kms.generate_random(NumberOfBytes=32)["Plaintext"] != kms.generate_random(NumberOfBytes=32)["Plaintext"]
    expect_error("ValidationException", kms.generate_random, NumberOfBytes=1025)
    expect_error("ValidationException", kms_novalidate.generate_random, NumberOfBytes=0)


# =============================================================================================
# Tags
# =============================================================================================


def test_tags_create_overwrite_list_untag(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key(Tags=[{"TagKey": "Env", "TagValue": "prod"}, {"TagKey": "empty", "TagValue": ""}])["KeyId"]
    assert tags_to_dict(kms.list_resource_tags(KeyId=key_id)["Tags"]) == {"Env": "prod", "empty": ""}
    kms.tag_resource(
        KeyId=key_arn(key_id), Tags=[{"TagKey": "Env", "TagValue": "dev"}, {"TagKey": "env", "TagValue": "lower"}]
    )
    assert tags_to_dict(kms.list_resource_tags(KeyId=key_id)["Tags"]) == {"Env": "dev", "env": "lower", "empty": ""}
    kms.untag_resource(KeyId=key_id, TagKeys=["Env", "not-there"])
    out = kms.list_resource_tags(KeyId=key_id)
    assert tags_to_dict(out["Tags"]) == {"env": "lower", "empty": ""}
    assert out["Truncated"] is False


def test_aws_prefixed_tag_keys_are_tag_exception(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("TagException", kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:owner", "TagValue": "x"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []
    before = {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    expect_error("TagException", kms.create_key, Tags=[{"TagKey": "aws:created", "TagValue": "x"}])
    after = {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    assert after == before, "CreateKey that failed with TagException still created a key"


def test_fifty_one_tags_is_limit_exceeded(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    fifty_one = [{"TagKey": f"k{i}", "TagValue": str(i)} for i in range(51)]
    expect_error("LimitExceededException", kms.tag_resource, KeyId=key_id, Tags=fifty_one)
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []
    kms.tag_resource(KeyId=key_id, Tags=fifty_one[:50])
    expect_error("LimitExceededException", kms.tag_resource, KeyId=key_id, Tags=fifty_one[50:])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "k0", "TagValue": "overwrite is not a new tag"}])
    tags = tags_to_dict(kms.list_resource_tags(KeyId=key_id)["Tags"])
    assert len(tags) == 50 and tags["k0"] == "overwrite is not a new tag"


def test_list_resource_tags_pages_and_limit_range(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key(Tags=[{"TagKey": f"t{i:02}", "TagValue": "v"} for i in range(5)])["KeyId"]
    first = kms.list_resource_tags(KeyId=key_id, Limit=3)
    assert len(first["Tags"]) == 3 and first["Truncated"] is True
    second = kms.list_resource_tags(KeyId=key_id, Limit=3, Marker=first["NextMarker"])
    assert len(second["Tags"]) == 2 and second["Truncated"] is False
    keys = [t["TagKey"] for t in first["Tags"] + second["Tags"]]
    assert sorted(keys) == [f"t{i:02}" for i in range(5)]
    expect_error("ValidationException", kms.list_resource_tags, KeyId=key_id, Limit=51)


# =============================================================================================
# Key policies
# =============================================================================================


def test_key_policy_default_put_get_list(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    out = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    policy = json.loads(out["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert policy["Statement"][0]["Action"] == "kms:*"
    names = kms.list_key_policies(KeyId=key_id)
    assert names["PolicyNames"] == ["default"] and names["Truncated"] is False

    custom = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "custom",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )
    kms.put_key_policy(KeyId=key_arn(key_id), PolicyName="default", Policy=custom)
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == json.loads(custom)


def test_get_key_policy_without_policy_name_returns_the_default_policy(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    out = kms.get_key_policy(KeyId=key_id)
    assert json.loads(out["Policy"])["Id"] == "key-default-1"
    assert out.get("PolicyName", "default") == "default"


def test_put_key_policy_with_malformed_json_is_malformed_policy_document(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error(
        "MalformedPolicyDocumentException", kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy="{not json"
    )
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Id"] == "key-default-1"


# =============================================================================================
# Authentication and response metadata
# =============================================================================================


def test_unsigned_request_is_missing_authentication_token(kmsd: KmsdServer) -> None:
    client = kms_client(kmsd, signature_version=botocore.UNSIGNED)
    expect_error("MissingAuthenticationTokenException", client.list_keys)


def test_unknown_access_key_is_unrecognized_client(kmsd: KmsdServer) -> None:
    client = kms_client(kmsd, access_key="AKIDUNKNOWNKEY000000", secret_key="test")
    expect_error("UnrecognizedClientException", client.list_keys)


def test_wrong_secret_is_invalid_signature(kmsd: KmsdServer) -> None:
    client = kms_client(kmsd, secret_key="not-the-secret")
    expect_error("InvalidSignatureException", client.list_keys)
    expect_error("InvalidSignatureException", client.generate_random, NumberOfBytes=8)


def test_signature_scoped_to_another_region_is_rejected(kmsd: KmsdServer) -> None:
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-2")
    client = session.client(
        "kms", endpoint_url=kmsd.endpoint, config=botocore.config.Config(retries={"max_attempts": 1})
    )
    expect_error("InvalidSignatureException", client.list_keys)


def test_auth_errors_carry_a_request_id(kmsd: KmsdServer) -> None:
    client = kms_client(kmsd, secret_key="not-the-secret")
    err = expect_error("InvalidSignatureException", client.list_keys)
    assert err.response["ResponseMetadata"].get("RequestId")


def test_bogus_session_token_is_unrecognized_client(kmsd: KmsdServer) -> None:
    """AWS rejects an X-Amz-Security-Token it did not issue, even with a valid long-term key pair."""
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", aws_session_token="bogus-token", region_name=REGION
    )
    client = session.client(
        "kms", endpoint_url=kmsd.endpoint, config=botocore.config.Config(retries={"max_attempts": 1})
    )
    expect_error("UnrecognizedClientException", client.list_keys)


def test_responses_carry_a_distinct_request_id(kms: Any) -> None:
    first = kms.list_keys(Limit=1)["ResponseMetadata"]
    second = kms.list_keys(Limit=1)["ResponseMetadata"]
    assert first["RequestId"] and second["RequestId"]
    assert first["RequestId"] != second["RequestId"]
    assert first["HTTPHeaders"]["x-amzn-requestid"] == first["RequestId"]
    err = expect_error("NotFoundException", kms.describe_key, KeyId=MISSING_KEY_ID)
    assert err.response["ResponseMetadata"].get("RequestId")


# =============================================================================================
# Concurrency and robustness
# =============================================================================================


def test_concurrent_clients_all_writes_land(kms: Any) -> None:
    def worker(i: int) -> str:
        key_id: str = kms.create_key(Description=f"concurrent {i}")["KeyMetadata"]["KeyId"]
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "worker", "TagValue": str(i)}])
        blob = kms.encrypt(KeyId=key_id, Plaintext=str(i).encode())["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == str(i).encode()
        return key_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(worker, range(64)))
    assert len(set(ids)) == 64
    listed = {k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]}
    assert set(ids) <= listed
    for i, key_id in enumerate(ids[:8]):
        assert tags_to_dict(kms.list_resource_tags(KeyId=key_id)["Tags"]) == {"worker": str(i)}


def test_oversized_request_body_is_refused_and_server_stays_up(kmsd: KmsdServer) -> None:
    body = b'{"Limit": 1, "Padding": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    resp = raw_call(kmsd.endpoint, "TrentService.ListKeys", body)
    assert 400 <= resp.status < 500, resp.status
    assert kmsd.http("GET", "/health")[0] == 200


# =============================================================================================
# Durability: kill -9 and graceful restart
# =============================================================================================


@dataclass
class Workload:
    """Writes acknowledged by the server before a crash/restart, and what they should look like."""

    keys: dict[str, dict[str, Any]] = field(default_factory=dict)  # key id -> expected fields
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> key id
    deleted_aliases: list[str] = field(default_factory=list)
    ciphertexts: list[tuple[bytes, dict[str, str], bytes]] = field(default_factory=list)
    policy: tuple[str, str] = ("", "")


def run_workload(kms: Any, n_keys: int = 12) -> Workload:
    w = Workload()
    ids = []
    for i in range(n_keys):
        md = kms.create_key(Description=f"durable {i}", Tags=[{"TagKey": "n", "TagValue": str(i)}])["KeyMetadata"]
        ids.append(md["KeyId"])
        w.keys[md["KeyId"]] = {"Description": f"durable {i}", "KeyState": "Enabled", "Tags": {"n": str(i)}}
        alias = f"alias/durable-{i}"
        kms.create_alias(AliasName=alias, TargetKeyId=md["KeyId"])
        w.aliases[alias] = md["KeyId"]
    kms.update_key_description(KeyId=ids[0], Description="changed")
    w.keys[ids[0]]["Description"] = "changed"
    kms.disable_key(KeyId=ids[1])
    w.keys[ids[1]]["KeyState"] = "Disabled"
    kms.tag_resource(KeyId=ids[2], Tags=[{"TagKey": "extra", "TagValue": "yes"}])
    w.keys[ids[2]]["Tags"]["extra"] = "yes"
    kms.untag_resource(KeyId=ids[3], TagKeys=["n"])
    w.keys[ids[3]]["Tags"] = {}
    kms.update_alias(AliasName="alias/durable-4", TargetKeyId=ids[5])
    w.aliases["alias/durable-4"] = ids[5]
    kms.delete_alias(AliasName="alias/durable-6")
    del w.aliases["alias/durable-6"]
    w.deleted_aliases.append("alias/durable-6")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "durable-policy",
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
    )
    kms.put_key_policy(KeyId=ids[7], PolicyName="default", Policy=policy)
    w.policy = (ids[7], policy)
    for i in (8, 9, 10):
        ctx = {"key": str(i)}
        plaintext = os.urandom(64)
        blob = kms.encrypt(KeyId=ids[i], Plaintext=plaintext, EncryptionContext=ctx)["CiphertextBlob"]
        w.ciphertexts.append((blob, ctx, plaintext))
    dk = kms.generate_data_key(KeyId=ids[11], KeySpec="AES_256")
    w.ciphertexts.append((dk["CiphertextBlob"], {}, dk["Plaintext"]))
    return w


def verify_workload(kms: Any, w: Workload) -> None:
    listed = {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    assert listed == set(w.keys), "ListKeys after restart differs from the acknowledged keys"
    for key_id, expected in w.keys.items():
        md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert md["Description"] == expected["Description"], key_id
        assert md["KeyState"] == expected["KeyState"], key_id
        assert tags_to_dict(kms.list_resource_tags(KeyId=key_id)["Tags"]) == expected["Tags"], key_id
    aliases = {
        a["AliasName"]: a.get("TargetKeyId")
        for a in kms.list_aliases(Limit=100)["Aliases"]
        if not a["AliasName"].startswith("alias/aws/")
    }
    assert aliases == w.aliases
    for alias in w.deleted_aliases:
        expect_error("NotFoundException", kms.describe_key, KeyId=alias)
    key_id, policy = w.policy
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == json.loads(policy)
    for blob, ctx, plaintext in w.ciphertexts:
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)["Plaintext"] == plaintext
    # The restarted server still takes writes, and they don't collide with the old ones.
    new = kms.create_key(Description="after restart")["KeyMetadata"]["KeyId"]
    assert new not in w.keys
    blob = kms.encrypt(KeyId=new, Plaintext=b"fresh")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"fresh"


def test_acknowledged_writes_survive_kill_9(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    workload = run_workload(kms)
    # A burst of writes right before the crash: the last acknowledged one must be what survives.
    burst_key = next(iter(workload.keys))
    for i in range(100):
        kms.update_key_description(KeyId=burst_key, Description=f"burst {i}")
    workload.keys[burst_key]["Description"] = "burst 99"
    private_kmsd.kill9_and_restart()
    verify_workload(kms_client(private_kmsd), workload)


def test_writes_acknowledged_under_concurrent_load_survive_kill_9(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    acked: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer() -> None:
        while not stop.is_set():
            try:
                key_id = kms.create_key(Description="under load")["KeyMetadata"]["KeyId"]
            except (ClientError, BotoCoreError):
                return  # the server was killed mid-request: that write was never acknowledged
            with lock:
                acked.append(key_id)

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    private_kmsd.kill9()  # while the writers are still sending
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acked) >= 150, "writers too slow to reach the kill point"
    private_kmsd.start()
    kms = kms_client(private_kmsd)
    listed: set[str] = set()
    for page in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1000}):
        listed |= {k["KeyId"] for k in page["Keys"]}
    missing = set(acked) - listed
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged CreateKey calls lost by kill -9"


def test_state_survives_graceful_restart_and_sigterm_exits_zero(private_kmsd: KmsdServer) -> None:
    workload = run_workload(kms_client(private_kmsd))
    assert private_kmsd.restart() == 0
    kms = kms_client(private_kmsd)
    verify_workload(kms, workload)
    # A second crash after the restart keeps both generations of writes.
    extra = kms.create_key(Description="second generation")["KeyMetadata"]["KeyId"]
    private_kmsd.kill9_and_restart()
    kms = kms_client(private_kmsd)
    assert kms.describe_key(KeyId=extra)["KeyMetadata"]["Description"] == "second generation"
    assert kms.describe_key(KeyId="alias/durable-0")["KeyMetadata"]["Description"] == "changed"


def test_advance_clock_moves_service_time_and_signed_requests_still_work(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    before = kms.create_key()["KeyMetadata"]["CreationDate"]
    assert private_kmsd.advance_clock(2 * 86400) == 200
    after = kms.create_key()["KeyMetadata"]["CreationDate"]
    delta = (after - before).total_seconds()
    assert 2 * 86400 <= delta < 2 * 86400 + 600, delta


# =============================================================================================
# Raw HTTP: wire protocol details boto3 would hide
# =============================================================================================


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def error_type(self) -> str:
        # Normalised as botocore does: drop a namespace before '#' and anything after ':'.
        raw = str(self.json().get("__type", ""))
        return raw.rsplit("#", 1)[-1].split(":", 1)[0]


def raw_call(
    endpoint: str,
    target: str | None,
    body: bytes,
    *,
    sign: bool = True,
    send_body: bytes | None = None,
    content_type: str = "application/x-amz-json-1.1",
    secret: str = "test",
    service: str = "kms",
) -> RawResponse:
    """POST / with a SigV4-signed body (optionally sending different bytes than were signed)."""
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = botocore.awsrequest.AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    if sign:
        creds = botocore.credentials.Credentials("test", secret)
        botocore.auth.SigV4Auth(creds, service, REGION).add_auth(request)
    out_headers = {k: v for k, v in request.headers.items()}
    http_req = urllib.request.Request(
        endpoint + "/", data=send_body if send_body is not None else body, headers=out_headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_req, timeout=10) as resp:
            return RawResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return RawResponse(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@pytest.fixture
def endpoint(kmsd: KmsdServer) -> str:
    return kmsd.endpoint


def test_raw_signed_list_keys_succeeds_with_json_1_1_response(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.ListKeys", b"{}")
    assert resp.status == 200, resp.body
    assert resp.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert resp.headers.get("x-amzn-requestid")
    body = resp.json()
    assert isinstance(body["Keys"], list) and isinstance(body["Truncated"], bool)


def test_raw_error_body_has_type_and_lowercase_message(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.DescribeKey", json.dumps({"KeyId": MISSING_KEY_ID}).encode())
    assert resp.status == 400
    assert resp.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert resp.headers.get("x-amzn-requestid")
    body = resp.json()
    assert resp.error_type() == "NotFoundException"
    assert isinstance(body.get("message"), str) and body["message"]
    assert set(body) <= {"__type", "message"}, body


def test_raw_malformed_json_is_serialization_exception(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.ListKeys", b'{"Limit": ')
    assert resp.status == 400
    assert resp.error_type() == "SerializationException"


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("TrentService.ListKeys", {"Limit": "ten"}),
        ("TrentService.GenerateRandom", {"NumberOfBytes": "32"}),
        ("TrentService.Encrypt", {"KeyId": MISSING_KEY_ID, "Plaintext": 12345}),
        ("TrentService.CreateKey", {"Tags": {"TagKey": "not-a-list"}}),
    ],
    ids=["int-as-string", "int-as-numeric-string", "blob-as-number", "object-for-list"],
)
def test_raw_wrong_member_type_is_serialization_exception(endpoint: str, target: str, body: dict[str, Any]) -> None:
    resp = raw_call(endpoint, target, json.dumps(body).encode())
    assert resp.status == 400
    assert resp.error_type() == "SerializationException", resp.body


def test_raw_invalid_base64_blob_is_rejected(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.Decrypt", json.dumps({"CiphertextBlob": "!!!not base64!!!"}).encode())
    assert resp.status == 400
    assert resp.error_type() in {"SerializationException", "ValidationException"}, resp.body


def test_raw_unknown_target_is_unknown_operation(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.MakeCoffee", b"{}")
    assert resp.status == 400
    assert resp.error_type() == "UnknownOperationException"


def test_raw_body_altered_after_signing_is_invalid_signature(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.ListKeys", b'{"Limit": 1}', send_body=b'{"Limit": 2}')
    assert resp.status == 400
    assert resp.error_type() == "InvalidSignatureException"


def test_raw_signature_for_another_service_is_rejected(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.ListKeys", b"{}", service="dynamodb")
    assert resp.status == 400
    assert resp.error_type() == "InvalidSignatureException", resp.body


def test_raw_missing_target_header_is_rejected(endpoint: str) -> None:
    resp = raw_call(endpoint, None, b"{}")
    assert resp.status == 400
    assert resp.error_type() in {"UnknownOperationException", "SerializationException", "ValidationException"}


def test_raw_unsigned_is_missing_authentication_token(endpoint: str) -> None:
    resp = raw_call(endpoint, "TrentService.ListKeys", b"{}", sign=False)
    assert resp.status == 400
    assert resp.error_type() == "MissingAuthenticationTokenException"


def test_raw_signature_dated_an_hour_ago_is_rejected(endpoint: str) -> None:
    stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=1)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=stale):
        resp = raw_call(endpoint, "TrentService.ListKeys", b"{}")
    assert resp.status == 400
    assert resp.error_type() == "InvalidSignatureException", resp.body


def test_health_endpoint_answers_200(kmsd: KmsdServer) -> None:
    status, _ = kmsd.http("GET", "/health")
    assert status == 200


def test_dev_advance_clock_answers_200(private_kmsd: KmsdServer) -> None:
    status, body = private_kmsd.http("POST", "/dev/advance-clock?seconds=1")
    assert status == 200, body
    status, _ = private_kmsd.http("GET", "/health")
    assert status == 200
