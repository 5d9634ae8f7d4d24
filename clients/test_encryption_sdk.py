"""The AWS Encryption SDK CLI (``aws-encryption-cli`` 4.x) using kmsd as its KMS.

The CLI has no endpoint flag: it builds its KMS clients with botocore, which reads the
service-specific ``AWS_ENDPOINT_URL_KMS`` environment variable (botocore >= 1.31), so that
variable is how it is pointed at kmsd.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kmsd_harness import ACCOUNT_ID, CLI_TIMEOUT_S, KmsdServer, isolated_aws_env, venv_bin

COMMITMENT = ["--commitment-policy", "require-encrypt-require-decrypt"]


class EsdkCli:
    def __init__(self, server: KmsdServer, config_dir: Path) -> None:
        self.exe = venv_bin("aws-encryption-cli")
        self.server = server
        self.config_dir = config_dir

    def run(self, args: Sequence[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.exe, *args],
            env=isolated_aws_env(self.config_dir, self.server.endpoint),
            input=stdin,
            capture_output=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )

    def ok(self, args: Sequence[str], stdin: bytes | None = None) -> bytes:
        proc = self.run(args, stdin)
        assert proc.returncode == 0, f"aws-encryption-cli {' '.join(args)} -> {proc.returncode}\n{proc.stderr.decode()}"
        return proc.stdout


@pytest.fixture(scope="module")
def esdk(kmsd: KmsdServer, tmp_path_factory: pytest.TempPathFactory) -> EsdkCli:
    return EsdkCli(kmsd, tmp_path_factory.mktemp("esdk-aws-config"))


@pytest.fixture(scope="module")
def key_arns(kms: Any) -> tuple[str, str]:
    first = kms.create_key(Description="esdk wrapping key 1")["KeyMetadata"]["Arn"]
    second = kms.create_key(Description="esdk wrapping key 2")["KeyMetadata"]["Arn"]
    return first, second


def read_metadata(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def edk_key_infos(header: dict[str, Any]) -> list[tuple[str, str]]:
    """(provider id, key info) of each encrypted data key; the metadata output base64-encodes both."""
    return [
        (
            base64.b64decode(edk["key_provider"]["provider_id"]).decode(),
            base64.b64decode(edk["key_provider"]["key_info"]).decode(),
        )
        for edk in header["encrypted_data_keys"]
    ]


def encrypt_file(esdk: EsdkCli, tmp_path: Path, wrapping: Sequence[str], plaintext: bytes) -> tuple[Path, Path]:
    source = tmp_path / "plain.bin"
    source.write_bytes(plaintext)
    encrypted = tmp_path / "plain.bin.encrypted"
    metadata = tmp_path / "encrypt-metadata.json"
    esdk.ok(
        [
            "--encrypt",
            "--input", str(source),
            "--output", str(encrypted),
            "--wrapping-keys", *wrapping,
            "--encryption-context", "purpose=kmsd-test", "team=platform",
            *COMMITMENT,
            "--metadata-output", str(metadata),
            "--frame-length", "4096",
        ]
    )  # fmt: skip
    return encrypted, metadata


def decrypt_args(encrypted: Path, output: Path, wrapping: Sequence[str], metadata: Path) -> list[str]:
    return [
        "--decrypt",
        "--input", str(encrypted),
        "--output", str(output),
        "--wrapping-keys", *wrapping,
        "--encryption-context", "purpose=kmsd-test",
        *COMMITMENT,
        "--metadata-output", str(metadata),
        "--max-encrypted-data-keys", "5",
    ]  # fmt: skip


def test_encrypt_then_decrypt_file_with_kmsd_key(esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path) -> None:
    arn = key_arns[0]
    original = os.urandom(50_000)  # spans several 4 KiB frames
    encrypted, metadata = encrypt_file(esdk, tmp_path, [f"key={arn}"], original)
    assert encrypted.read_bytes() != original and original not in encrypted.read_bytes()

    [record] = read_metadata(metadata)
    assert record["mode"] == "encrypt"
    header = record["header"]
    assert header["encryption_context"]["purpose"] == "kmsd-test"
    assert header["encryption_context"]["team"] == "platform"
    assert edk_key_infos(header) == [("aws-kms", arn)]

    decrypted = tmp_path / "roundtrip.bin"
    dec_metadata = tmp_path / "decrypt-metadata.json"
    esdk.ok(decrypt_args(encrypted, decrypted, [f"key={arn}"], dec_metadata))
    assert decrypted.read_bytes() == original
    assert read_metadata(dec_metadata)[0]["mode"] == "decrypt"


def test_decrypt_in_discovery_mode_finds_the_kmsd_key(esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path) -> None:
    original = b"discovery mode reads the key ARN from the message header\n" * 100
    encrypted, _ = encrypt_file(esdk, tmp_path, [f"key={key_arns[0]}"], original)
    decrypted = tmp_path / "discovered.bin"
    wrapping = ["discovery=true", f"discovery-account={ACCOUNT_ID}", "discovery-partition=aws"]
    esdk.ok(decrypt_args(encrypted, decrypted, wrapping, tmp_path / "meta.json"))
    assert decrypted.read_bytes() == original


def test_message_with_two_wrapping_keys_decrypts_with_either(
    esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path
) -> None:
    first, second = key_arns
    original = os.urandom(10_000)
    encrypted, metadata = encrypt_file(esdk, tmp_path, [f"key={first}", f"key={second}"], original)
    header = read_metadata(metadata)[0]["header"]
    assert sorted(edk_key_infos(header)) == sorted([("aws-kms", first), ("aws-kms", second)])
    for n, arn in enumerate((first, second)):
        out = tmp_path / f"out-{n}.bin"
        esdk.ok(decrypt_args(encrypted, out, [f"key={arn}"], tmp_path / f"meta-{n}.json"))
        assert out.read_bytes() == original


def test_decrypt_with_a_different_wrapping_key_fails(esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path) -> None:
    first, second = key_arns
    encrypted, _ = encrypt_file(esdk, tmp_path, [f"key={first}"], b"only the first key can open this")
    out = tmp_path / "should-not-exist.bin"
    proc = esdk.run(decrypt_args(encrypted, out, [f"key={second}"], tmp_path / "meta.json"))
    assert proc.returncode != 0
    assert not out.exists() or out.read_bytes() != b"only the first key can open this"


def test_decrypt_of_tampered_ciphertext_file_fails(esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path) -> None:
    original = os.urandom(20_000)
    encrypted, _ = encrypt_file(esdk, tmp_path, [f"key={key_arns[0]}"], original)
    data = bytearray(encrypted.read_bytes())
    data[len(data) - 200] ^= 0x80  # inside the last frame / signature area
    tampered = tmp_path / "tampered.encrypted"
    tampered.write_bytes(bytes(data))
    out = tmp_path / "tampered.out"
    proc = esdk.run(decrypt_args(tampered, out, [f"key={key_arns[0]}"], tmp_path / "meta.json"))
    assert proc.returncode != 0, "tampered message decrypted"
    assert not out.exists() or out.read_bytes() != original


def test_tampered_encrypted_data_key_is_refused_by_kmsd(
    esdk: EsdkCli, key_arns: tuple[str, str], tmp_path: Path
) -> None:
    """Flip a byte of the KMS ciphertext blob stored in the message header: kmsd must refuse it."""
    original = b"edk tamper\n" * 50
    encrypted, metadata = encrypt_file(esdk, tmp_path, [f"key={key_arns[0]}"], original)
    edk = base64.b64decode(read_metadata(metadata)[0]["header"]["encrypted_data_keys"][0]["encrypted_data_key"])
    data = encrypted.read_bytes()
    offset = data.find(edk)
    assert offset > 0, "encrypted data key not found verbatim in the message header"
    tampered = bytearray(data)
    tampered[offset + len(edk) // 2] ^= 0x01
    path = tmp_path / "edk-tampered.encrypted"
    path.write_bytes(bytes(tampered))
    out = tmp_path / "edk-tampered.out"
    proc = esdk.run(decrypt_args(path, out, [f"key={key_arns[0]}"], tmp_path / "meta.json"))
    assert proc.returncode != 0
    assert not out.exists() or out.read_bytes() != original


def test_stdin_stdout_round_trip_with_base64_encoding(esdk: EsdkCli, key_arns: tuple[str, str]) -> None:
    original = b"piped through stdin and stdout"
    encoded = esdk.ok(
        [
            "-e",
            "-i",
            "-",
            "-o",
            "-",
            "--encode",
            "-w",
            f"key={key_arns[1]}",
            "-c",
            "purpose=kmsd-test",
            *COMMITMENT,
            "-S",
        ],
        stdin=original,
    )
    assert base64.b64decode(encoded.strip(), validate=True)
    decoded = esdk.ok(
        ["-d", "-i", "-", "-o", "-", "--decode", "-w", f"key={key_arns[1]}", *COMMITMENT, "-S"],
        stdin=encoded,
    )
    assert decoded == original
