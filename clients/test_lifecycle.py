"""The key lifecycle with boto3 and the aws CLI: automatic and on-demand rotation, scheduled
deletion, cancel, restarts in between, and GetKeyLastUsage.

Service time only moves through ``advance_clock`` (POST /dev/advance-clock), which also runs every
rotation and deletion that came due; nothing here sleeps. Every test that moves the clock or
restarts the server uses ``private_kmsd``: the shared server's clock must stay put.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    AwsCli,
    KmsdServer,
    assert_client_error,
    error_code,
    flip_byte,
    key_arn,
    kms_client,
    unb64,
)

CreateKey = Callable[..., dict[str, Any]]
Unique = Callable[[str], str]
AwsFail = Callable[..., str]

DAY = 86_400
MINUTE = 60
MATERIAL_ID_RE = re.compile(r"^[a-f0-9]{64}$")
# Slack for comparing a server-computed date with "now" taken on this side of the wire.
CLOCK_SLACK = datetime.timedelta(minutes=5)


def expect_error(code: str, call: Callable[..., Any], /, **params: Any) -> ClientError:
    """Run ``call(**params)``; assert it raises a ClientError with ``code`` and HTTP 400."""
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code)
    return info.value


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def days(n: float) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def assert_close(got: datetime.datetime, want: datetime.datetime, slack: datetime.timedelta = CLOCK_SLACK) -> None:
    assert abs(got - want) <= slack, f"{got.isoformat()} is not within {slack} of {want.isoformat()}"


def assert_apart(earlier: datetime.datetime, later: datetime.datetime, gap: datetime.timedelta) -> None:
    """``later`` is ``gap`` after ``earlier``, to the minute."""
    assert abs((later - earlier) - gap) <= datetime.timedelta(minutes=1), f"{earlier} -> {later} is not {gap}"


def cli_time(value: Any) -> datetime.datetime:
    """A timestamp as the CLI v1 prints it: epoch seconds by default, ISO 8601 if configured so."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def rotations(kms: Any, key_id: str, include: str | None = None) -> list[dict[str, Any]]:
    """Every ListKeyRotations entry, following NextMarker."""
    params: dict[str, Any] = {"KeyId": key_id}
    if include is not None:
        params["IncludeKeyMaterial"] = include
    out: list[dict[str, Any]] = []
    for _ in range(100):
        page = kms.list_key_rotations(**params)
        out += page["Rotations"]
        if not page.get("Truncated"):
            assert "NextMarker" not in page, page
            return out
        params["Marker"] = page["NextMarker"]
    raise AssertionError("ListKeyRotations paging does not terminate")


def current_material(kms: Any, key_id: str) -> str:
    material: str = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert MATERIAL_ID_RE.match(material), material
    return material


def encrypt(kms: Any, key_id: str, plaintext: bytes) -> bytes:
    blob: bytes = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
    return blob


def assert_decrypts(kms: Any, blob: bytes, plaintext: bytes, material: str, key_id: str) -> None:
    out = kms.decrypt(CiphertextBlob=blob)
    assert out["Plaintext"] == plaintext
    assert out["KeyId"] == key_arn(key_id)
    assert out["KeyMaterialId"] == material, f"decrypted {plaintext!r} with the wrong key material"


def assert_key_gone(kms: Any, key_id: str, blob: bytes) -> None:
    """The key, and with it every ciphertext under it, is gone."""
    expect_error("NotFoundException", kms.describe_key, KeyId=key_id)
    expect_error("NotFoundException", kms.get_key_rotation_status, KeyId=key_id)
    assert key_id not in {k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]}
    with pytest.raises(ClientError) as info:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(info.value) in ("InvalidCiphertextException", "NotFoundException"), info.value.response


def alias_names(kms: Any) -> set[str]:
    return {a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]}


# =============================================================================================
# Automatic rotation
# =============================================================================================


def test_90_day_automatic_rotation_rotates_once_at_day_90_and_again_at_day_180(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    md = kms.create_key()["KeyMetadata"]
    key_id, arn = md["KeyId"], md["Arn"]
    original = current_material(kms, key_id)
    old_blob = encrypt(kms, key_id, b"before any rotation")

    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status

    enabled_at = utcnow()
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["KeyId"] == arn
    assert status["RotationPeriodInDays"] == 90
    first_due = status["NextRotationDate"]
    assert_close(first_due, enabled_at + days(90))

    private_kmsd.advance_clock(89 * DAY)
    assert rotations(kms, key_id) == [], "rotated before day 90"
    assert current_material(kms, key_id) == original
    assert kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"] == first_due

    private_kmsd.advance_clock(1 * DAY)
    done = rotations(kms, key_id)
    assert len(done) == 1, f"expected exactly one rotation at day 90: {done}"
    entry = done[0]
    assert entry["KeyId"] == key_id  # AWS's ListKeyRotations example gives the key ID, not the ARN
    assert entry["RotationType"] == "AUTOMATIC"
    assert entry["KeyMaterialState"] == "CURRENT"
    assert MATERIAL_ID_RE.match(entry["KeyMaterialId"]), entry
    assert entry["KeyMaterialId"] != original
    assert_close(entry["RotationDate"], first_due, slack=datetime.timedelta(days=1))
    assert entry["RotationDate"] >= first_due - datetime.timedelta(seconds=1)
    rotated = entry["KeyMaterialId"]
    assert current_material(kms, key_id) == rotated

    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    second_due = status["NextRotationDate"]
    assert_apart(first_due, second_due, days(90))

    # ALL_KEY_MATERIAL adds the first material, which has no rotation date.
    everything = {r["KeyMaterialId"]: r for r in rotations(kms, key_id, "ALL_KEY_MATERIAL")}
    assert set(everything) == {original, rotated}
    assert everything[original]["KeyMaterialState"] == "NON_CURRENT"
    assert "RotationDate" not in everything[original], everything[original]
    assert everything[rotated]["KeyMaterialState"] == "CURRENT"
    assert rotations(kms, key_id, "ROTATIONS_ONLY") == done

    # Old ciphertexts still decrypt with the old material; new ones use the new material.
    assert_decrypts(kms, old_blob, b"before any rotation", original, key_id)
    new_blob = encrypt(kms, key_id, b"after the first rotation")
    assert_decrypts(kms, new_blob, b"after the first rotation", rotated, key_id)

    # The next one comes 90 days later, not before.
    private_kmsd.advance_clock(89 * DAY)
    assert len(rotations(kms, key_id)) == 1
    private_kmsd.advance_clock(1 * DAY)
    done = rotations(kms, key_id)
    assert len(done) == 2, done
    assert all(r["RotationType"] == "AUTOMATIC" for r in done)
    third = current_material(kms, key_id)
    assert third not in (original, rotated)
    assert [r["KeyMaterialId"] for r in done if r["KeyMaterialState"] == "CURRENT"] == [third]
    assert_apart(second_due, kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"], days(90))
    assert_decrypts(kms, old_blob, b"before any rotation", original, key_id)
    assert_decrypts(kms, new_blob, b"after the first rotation", rotated, key_id)


def test_enable_key_rotation_defaults_to_365_days(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    enabled_at = utcnow()
    kms.enable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert_close(status["NextRotationDate"], enabled_at + days(365))


def test_disabled_automatic_rotation_never_rotates(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    original = current_material(kms, key_id)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    private_kmsd.advance_clock(30 * DAY)
    kms.disable_key_rotation(KeyId=key_id)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status
    private_kmsd.advance_clock(200 * DAY)
    assert rotations(kms, key_id) == []
    assert current_material(kms, key_id) == original


def test_on_demand_rotation_is_refused_within_20_minutes_of_an_automatic_one(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]

    # 30 minutes before the automatic rotation: on-demand is allowed and leaves the schedule alone.
    private_kmsd.advance_clock(90 * DAY - 30 * MINUTE)
    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id
    assert kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"] == due
    assert [r["RotationType"] for r in rotations(kms, key_id)] == ["ON_DEMAND"]

    # 10 minutes before: ConflictException, and nothing rotates.
    private_kmsd.advance_clock(20 * MINUTE)
    before = current_material(kms, key_id)
    expect_error("ConflictException", kms.rotate_key_on_demand, KeyId=key_id)
    assert current_material(kms, key_id) == before
    assert len(rotations(kms, key_id)) == 1

    # Once the automatic rotation has run, on-demand works again.
    private_kmsd.advance_clock(11 * MINUTE)
    assert sorted(r["RotationType"] for r in rotations(kms, key_id)) == ["AUTOMATIC", "ON_DEMAND"]
    kms.rotate_key_on_demand(KeyId=key_id)
    assert sorted(r["RotationType"] for r in rotations(kms, key_id)) == ["AUTOMATIC", "ON_DEMAND", "ON_DEMAND"]


# =============================================================================================
# On-demand rotation
# =============================================================================================


def test_25_on_demand_rotations_then_limit_exceeded_even_after_restart(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    materials = [current_material(kms, key_id)]
    for i in range(25):
        # AWS's RotateKeyOnDemand example answers with the key ID it was given.
        assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] == key_id, f"rotation {i + 1}"
        materials.append(current_material(kms, key_id))
    assert len(set(materials)) == 26, "an on-demand rotation did not produce new key material"

    err = expect_error("LimitExceededException", kms.rotate_key_on_demand, KeyId=key_id)
    assert err.response["Error"]["Message"]
    assert current_material(kms, key_id) == materials[-1]

    private_kmsd.restart()
    kms = kms_client(private_kmsd)
    expect_error("LimitExceededException", kms.rotate_key_on_demand, KeyId=key_id)
    done = rotations(kms, key_id)
    assert len(done) == 25
    assert {r["RotationType"] for r in done} == {"ON_DEMAND"}
    assert {r["KeyId"] for r in done} == {key_id}
    assert {r["KeyMaterialId"] for r in done} == set(materials[1:])
    assert [r["KeyMaterialId"] for r in done if r["KeyMaterialState"] == "CURRENT"] == [materials[-1]]
    assert all(r["KeyMaterialState"] == "NON_CURRENT" for r in done if r["KeyMaterialId"] != materials[-1])

    # Paging: 26 materials in pages of 10, 10 and 6, none twice.
    pages: list[list[str]] = []
    params: dict[str, Any] = {"KeyId": key_id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL", "Limit": 10}
    while True:
        page = kms.list_key_rotations(**params)
        pages.append([r["KeyMaterialId"] for r in page["Rotations"]])
        if not page["Truncated"]:
            break
        params["Marker"] = page["NextMarker"]
        assert len(pages) < 5, "paging does not terminate"
    assert [len(p) for p in pages] == [10, 10, 6]
    flat = [m for p in pages for m in p]
    assert sorted(flat) == sorted(materials)

    # The on-demand limit does not stop automatic rotation.
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    private_kmsd.advance_clock(90 * DAY)
    assert len(rotations(kms, key_id)) == 26
    assert current_material(kms, key_id) not in materials


def test_old_ciphertexts_decrypt_across_many_rotations(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    written: list[tuple[bytes, bytes, str]] = []
    for i in range(12):
        material = current_material(kms, key_id)
        plaintext = f"generation {i}".encode()
        written.append((encrypt(kms, key_id, plaintext), plaintext, material))
        kms.rotate_key_on_demand(KeyId=key_id)
    latest = current_material(kms, key_id)
    assert len({m for _, _, m in written} | {latest}) == 13

    for blob, plaintext, material in written:
        assert_decrypts(kms, blob, plaintext, material, key_id)
    # ReEncrypt moves an old ciphertext onto the current material.
    blob, plaintext, material = written[0]
    moved = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id)
    assert moved["SourceKeyMaterialId"] == material
    assert moved["DestinationKeyMaterialId"] == latest
    assert_decrypts(kms, moved["CiphertextBlob"], plaintext, latest, key_id)
    # Data keys follow the current material too.
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    out = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])
    assert out["Plaintext"] == data_key["Plaintext"]
    assert out["KeyMaterialId"] == latest


def test_rotate_on_demand_on_a_disabled_key_is_disabled_exception(kms: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    before = current_material(kms, key_id)
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.rotate_key_on_demand, KeyId=key_id)
    assert rotations(kms, key_id) == []
    kms.enable_key(KeyId=key_id)
    kms.rotate_key_on_demand(KeyId=key_id)
    assert current_material(kms, key_id) != before


def test_cli_rotation_commands(aws: AwsCli, aws_fail: AwsFail) -> None:
    md = aws("kms", "create-key")["KeyMetadata"]
    key_id = md["KeyId"]
    assert aws("kms", "enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "90") == {}
    status = aws("kms", "get-key-rotation-status", "--key-id", key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"], status["KeyId"]) == (True, 90, md["Arn"])
    assert_close(cli_time(status["NextRotationDate"]), utcnow() + days(90))
    assert aws("kms", "rotate-key-on-demand", "--key-id", key_id)["KeyId"] == key_id
    listed = aws("kms", "list-key-rotations", "--key-id", key_id)["Rotations"]
    assert [(r["KeyId"], r["RotationType"], r["KeyMaterialState"]) for r in listed] == [
        (key_id, "ON_DEMAND", "CURRENT")
    ]
    assert (
        listed[0]["KeyMaterialId"]
        == aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    )
    everything = aws("kms", "list-key-rotations", "--key-id", key_id, "--include-key-material", "ALL_KEY_MATERIAL")
    assert sorted(r["KeyMaterialState"] for r in everything["Rotations"]) == ["CURRENT", "NON_CURRENT"]
    assert aws("kms", "disable-key-rotation", "--key-id", key_id) == {}
    assert aws("kms", "get-key-rotation-status", "--key-id", key_id)["KeyRotationEnabled"] is False
    err = aws_fail("kms", "rotate-key-on-demand", "--key-id", "00000000-1111-2222-3333-444444444444")
    assert "NotFoundException" in err, err


# =============================================================================================
# Deletion
# =============================================================================================


def test_cli_seven_day_deletion_erases_key_and_alias(private_kmsd: KmsdServer, tmp_path: Path) -> None:
    aws = AwsCli(private_kmsd, tmp_path / "aws-config")
    md = aws("kms", "create-key", "--description", "doomed")["KeyMetadata"]
    key_id, arn = md["KeyId"], md["Arn"]
    keeper = aws("kms", "create-key", "--description", "kept")["KeyMetadata"]["KeyId"]
    aws("kms", "create-alias", "--alias-name", "alias/doomed", "--target-key-id", key_id)
    pt = tmp_path / "pt.bin"
    pt.write_bytes(b"secret")
    blob_file = tmp_path / "ct.bin"
    blob_file.write_bytes(
        unb64(aws("kms", "encrypt", "--key-id", key_id, "--plaintext", f"fileb://{pt}")["CiphertextBlob"])
    )

    scheduled_at = utcnow()
    out = aws("kms", "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7")
    assert out["KeyId"] == arn
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 7
    deletion_date = cli_time(out["DeletionDate"])
    assert_close(deletion_date, scheduled_at + days(7), slack=datetime.timedelta(days=1))
    assert deletion_date >= scheduled_at + days(7) - CLOCK_SLACK

    described = aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["Enabled"] is False
    assert cli_time(described["DeletionDate"]) == deletion_date
    res = aws.run("kms", "encrypt", "--key-id", key_id, "--plaintext", f"fileb://{pt}")
    assert res.returncode != 0
    assert "KMSInvalidStateException" in res.stderr and f"{arn} is pending deletion." in res.stderr, res.stderr
    # The alias survives until the key is actually deleted.
    assert "alias/doomed" in {a["AliasName"] for a in aws("kms", "list-aliases")["Aliases"]}

    private_kmsd.advance_clock(6 * DAY)
    assert aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    private_kmsd.advance_clock(1 * DAY)
    res = aws.run("kms", "describe-key", "--key-id", key_id)
    assert res.returncode != 0 and "NotFoundException" in res.stderr, res
    names = {a["AliasName"] for a in aws("kms", "list-aliases")["Aliases"]}
    assert "alias/doomed" not in names
    assert key_id not in {k["KeyId"] for k in aws("kms", "list-keys")["Keys"]}
    assert keeper in {k["KeyId"] for k in aws("kms", "list-keys")["Keys"]}
    res = aws.run("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_file}")
    assert res.returncode != 0
    assert "InvalidCiphertextException" in res.stderr or "NotFoundException" in res.stderr, res.stderr


def test_deletion_that_came_due_while_stopped_runs_at_start(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    keeper = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/gone-while-down", TargetKeyId=key_id)
    kms.create_alias(AliasName="alias/kept-while-down", TargetKeyId=keeper)
    blob = encrypt(kms, key_id, b"lost")
    keeper_blob = encrypt(kms, keeper, b"kept")
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    assert private_kmsd.stop() == 0
    offset_file = private_kmsd.data_dir / "dev-clock-offset"
    offset_ms = int(offset_file.read_text().strip()) if offset_file.exists() else 0
    offset_file.write_text(f"{offset_ms + 8 * DAY * 1000}\n")
    private_kmsd.start()

    kms = kms_client(private_kmsd)
    # Service time really moved 8 days while kmsd was down.
    assert_close(kms.create_key()["KeyMetadata"]["CreationDate"], utcnow() + days(8))
    assert_key_gone(kms, key_id, blob)
    names = alias_names(kms)
    assert "alias/gone-while-down" not in names
    assert "alias/kept-while-down" in names
    assert kms.decrypt(CiphertextBlob=keeper_blob)["Plaintext"] == b"kept"


def test_cancel_key_deletion_leaves_the_key_disabled_until_enabled(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    md = kms.create_key()["KeyMetadata"]
    key_id, arn = md["KeyId"], md["Arn"]
    blob = encrypt(kms, key_id, b"kept")
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=180)

    err = expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key_id)
    assert arn in err.response["Error"]["Message"] or key_id in err.response["Error"]["Message"]

    scheduled_at = utcnow()
    out = kms.schedule_key_deletion(KeyId=key_id)
    assert out["KeyId"] == arn
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 30
    assert_close(out["DeletionDate"], scheduled_at + days(30), slack=datetime.timedelta(days=1))
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("PendingDeletion", False)
    assert described["DeletionDate"] == out["DeletionDate"]

    # Pending deletion: no crypto, no rotation, rotation status reads false.
    message = f"{arn} is pending deletion."
    err = expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    assert err.response["Error"]["Message"] == message
    err = expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    assert err.response["Error"]["Message"] == message
    expect_error("KMSInvalidStateException", kms.rotate_key_on_demand, KeyId=key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False

    private_kmsd.advance_clock(29 * DAY)
    out = kms.cancel_key_deletion(KeyId=key_id)
    assert out["KeyId"] == arn
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Disabled", False)
    assert "DeletionDate" not in described
    expect_error("DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=key_id)
    # The original rotation status comes back.
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 180

    # Past the original deletion date the key is still there.
    private_kmsd.advance_clock(2 * DAY)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
    assert kms.decrypt(CiphertextBlob=encrypt(kms, key_id, b"new"))["Plaintext"] == b"new"


# =============================================================================================
# Restarts between every step
# =============================================================================================


def test_lifecycle_scenario_survives_a_restart_after_every_step(private_kmsd: KmsdServer) -> None:
    restarts = 0

    def bounce() -> Any:
        """Alternate a graceful restart and a SIGKILL; return a client for the new endpoint."""
        nonlocal restarts
        if restarts % 2 == 0:
            assert private_kmsd.restart() == 0
        else:
            private_kmsd.kill9_and_restart()
        restarts += 1
        return kms_client(private_kmsd)

    kms = kms_client(private_kmsd)
    md = kms.create_key(Description="scenario")["KeyMetadata"]
    key_id, arn = md["KeyId"], md["Arn"]
    kms.create_alias(AliasName="alias/scenario", TargetKeyId=key_id)
    original = current_material(kms, key_id)
    blob0 = encrypt(kms, key_id, b"zero")

    kms = bounce()
    assert_decrypts(kms, blob0, b"zero", original, key_id)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    due = kms.get_key_rotation_status(KeyId=key_id)["NextRotationDate"]

    kms = bounce()
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
    assert status["NextRotationDate"] == due
    private_kmsd.advance_clock(89 * DAY)

    kms = bounce()
    assert rotations(kms, key_id) == []
    private_kmsd.advance_clock(1 * DAY)

    kms = bounce()
    done = rotations(kms, key_id)
    assert [r["RotationType"] for r in done] == ["AUTOMATIC"]
    automatic = current_material(kms, key_id)
    assert automatic == done[0]["KeyMaterialId"] != original
    blob1 = encrypt(kms, key_id, b"one")
    kms.rotate_key_on_demand(KeyId=key_id)

    kms = bounce()
    assert sorted(r["RotationType"] for r in rotations(kms, key_id)) == ["AUTOMATIC", "ON_DEMAND"]
    on_demand = current_material(kms, key_id)
    assert on_demand not in (original, automatic)
    out = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert (out["KeyId"], out["KeyState"]) == (arn, "PendingDeletion")
    deletion_date = out["DeletionDate"]

    kms = bounce()
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["DeletionDate"] == deletion_date
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    private_kmsd.advance_clock(6 * DAY)

    kms = bounce()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=key_id)

    kms = bounce()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    private_kmsd.advance_clock(2 * DAY)  # past the cancelled deletion date
    kms.enable_key(KeyId=key_id)

    kms = bounce()
    assert kms.describe_key(KeyId="alias/scenario")["KeyMetadata"]["KeyState"] == "Enabled"
    assert_decrypts(kms, blob0, b"zero", original, key_id)
    assert_decrypts(kms, blob1, b"one", automatic, key_id)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    kms = bounce()
    private_kmsd.advance_clock(7 * DAY)

    kms = bounce()
    assert_key_gone(kms, key_id, blob0)
    assert "alias/scenario" not in alias_names(kms)
    assert restarts == 11


# =============================================================================================
# Validation
# =============================================================================================


@pytest.fixture(scope="module")
def kms_novalidate(kmsd: KmsdServer) -> Any:
    """A client that sends values botocore would refuse itself (RotationPeriodInDays has min/max)."""
    return kms_client(kmsd, parameter_validation=False)


@pytest.mark.parametrize("window", [6, 31, 0, 365])
def test_schedule_key_deletion_rejects_windows_outside_7_to_30(
    kms: Any, kms_novalidate: Any, create_key: CreateKey, window: int
) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms_novalidate.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=window)
    md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert md["KeyState"] == "Enabled"
    assert "DeletionDate" not in md


def test_cli_schedule_key_deletion_rejects_6_and_31_days(aws: AwsCli, aws_fail: AwsFail) -> None:
    key_id = aws("kms", "create-key")["KeyMetadata"]["KeyId"]
    for window in ("6", "31"):
        err = aws_fail("kms", "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", window)
        assert "ValidationException" in err, err
    assert aws("kms", "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("window", [7, 30])
def test_schedule_key_deletion_accepts_7_and_30_days(kms: Any, create_key: CreateKey, window: int) -> None:
    key_id = create_key()["KeyId"]
    out = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=window)
    assert out["PendingWindowInDays"] == window
    assert_close(out["DeletionDate"], utcnow() + days(window), slack=datetime.timedelta(days=1))
    kms.cancel_key_deletion(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"


@pytest.mark.parametrize("period", [89, 2561, 0, -1])
def test_enable_key_rotation_rejects_periods_outside_90_to_2560(
    kms: Any, kms_novalidate: Any, create_key: CreateKey, period: int
) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms_novalidate.enable_key_rotation, KeyId=key_id, RotationPeriodInDays=period)
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False


@pytest.mark.parametrize("period", [90, 2560])
def test_enable_key_rotation_accepts_90_and_2560_days(kms: Any, create_key: CreateKey, period: int) -> None:
    key_id = create_key()["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=period)
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, period)
    assert_close(status["NextRotationDate"], utcnow() + days(period))


def test_list_key_rotations_rejects_an_unknown_include_key_material(kms_novalidate: Any, create_key: CreateKey) -> None:
    key_id = create_key()["KeyId"]
    expect_error("ValidationException", kms_novalidate.list_key_rotations, KeyId=key_id, IncludeKeyMaterial="SOME")


# =============================================================================================
# GetKeyLastUsage
# =============================================================================================


def test_get_key_last_usage_tracks_successful_encrypt_and_decrypt(private_kmsd: KmsdServer) -> None:
    kms = kms_client(private_kmsd)
    if not hasattr(kms, "get_key_last_usage"):  # pragma: no cover - botocore 1.44.3 has it
        pytest.skip("this botocore has no GetKeyLastUsage operation")
    md = kms.create_key()["KeyMetadata"]
    key_id, arn = md["KeyId"], md["Arn"]

    fresh = kms.get_key_last_usage(KeyId=key_id)
    assert fresh["KeyId"] in (key_id, arn)
    assert not fresh.get("KeyLastUsage"), fresh
    assert fresh["KeyCreationDate"] == md["CreationDate"]
    assert fresh["TrackingStartDate"] >= fresh["KeyCreationDate"]
    assert kms.get_key_last_usage(KeyId=arn)["KeyCreationDate"] == md["CreationDate"]

    encrypted = kms.encrypt(KeyId=key_id, Plaintext=b"tracked")
    usage = kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    assert usage["KmsRequestId"] == encrypted["ResponseMetadata"]["RequestId"]
    assert_close(usage["Timestamp"], utcnow())
    encrypt_time = usage["Timestamp"]

    # A day later: failures and management calls do not count, a Decrypt does.
    private_kmsd.advance_clock(1 * DAY)
    expect_error(
        "InvalidCiphertextException",
        kms.decrypt,
        CiphertextBlob=flip_byte(encrypted["CiphertextBlob"], len(encrypted["CiphertextBlob"]) - 1),
        KeyId=key_id,
    )
    kms.describe_key(KeyId=key_id)
    kms.update_key_description(KeyId=key_id, Description="not a use")
    assert kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]["KmsRequestId"] == usage["KmsRequestId"]

    decrypted = kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    usage = kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert usage["Operation"] == "Decrypt"
    assert usage["KmsRequestId"] == decrypted["ResponseMetadata"]["RequestId"]
    assert usage["KmsRequestId"] != encrypted["ResponseMetadata"]["RequestId"]
    assert_close(usage["Timestamp"], encrypt_time + days(1))

    generated = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    usage = kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert usage["Operation"] == "GenerateDataKey"
    assert usage["KmsRequestId"] == generated["ResponseMetadata"]["RequestId"]

    # Usage is kept across a graceful restart.
    private_kmsd.restart()
    kms = kms_client(private_kmsd)
    after = kms.get_key_last_usage(KeyId=key_id)
    assert after["KeyLastUsage"]["Operation"] == "GenerateDataKey"
    assert after["KeyLastUsage"]["KmsRequestId"] == generated["ResponseMetadata"]["RequestId"]
    assert after["KeyCreationDate"] == md["CreationDate"]

    expect_error("NotFoundException", kms.get_key_last_usage, KeyId="00000000-1111-2222-3333-444444444444")
