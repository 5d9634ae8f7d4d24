"""Envelope encryption the way shell scripts do it: ``aws kms`` data keys + ``openssl enc``.

Only the KMS-encrypted data key is kept on disk; the plaintext data key is recovered later
with ``aws kms decrypt`` and used to decrypt the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsd_harness import AwsCli, b64, unb64

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")

Unique = Callable[[str], str]


def openssl(*args: str) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("openssl")
    assert exe is not None
    return subprocess.run([exe, *args], capture_output=True, timeout=60, check=False)


def openssl_ok(*args: str) -> None:
    proc = openssl(*args)
    assert proc.returncode == 0, f"openssl {' '.join(args)} failed: {proc.stderr.decode()}"


def kms_decrypt_file(aws: AwsCli, blob_path: Path, *extra: str) -> bytes:
    """``aws kms decrypt --ciphertext-blob fileb://<blob_path> --query Plaintext`` as raw bytes."""
    return unb64(aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{blob_path}", *extra, "--query", "Plaintext"))


@pytest.fixture
def cmk(aws: AwsCli, unique: Unique) -> str:
    """Alias of a fresh customer master key."""
    key_id = aws("kms", "create-key", "--description", "envelope CMK")["KeyMetadata"]["KeyId"]
    alias = unique("alias/envelope")
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key_id)
    return alias


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "document.bin"
    path.write_bytes(os.urandom(300_000) + b"\nend of document\n")
    return path


def test_envelope_with_raw_key_and_iv(aws: AwsCli, cmk: str, document: Path, tmp_path: Path) -> None:
    context = ["--encryption-context", "app=envelope,file=document.bin"]
    data_key = aws("kms", "generate-data-key", "--key-id", cmk, "--key-spec", "AES_256", *context)
    wrapped_key = tmp_path / "document.key.enc"
    wrapped_key.write_bytes(unb64(data_key["CiphertextBlob"]))
    key_hex = unb64(data_key["Plaintext"]).hex()
    assert len(key_hex) == 64
    iv_hex = unb64(aws("kms", "generate-random", "--number-of-bytes", "16")["Plaintext"]).hex()

    encrypted = tmp_path / "document.enc"
    openssl_ok("enc", "-aes-256-cbc", "-K", key_hex, "-iv", iv_hex, "-in", str(document), "-out", str(encrypted))
    del data_key, key_hex  # only the wrapped key and the IV are kept
    assert encrypted.read_bytes() != document.read_bytes()

    recovered_hex = kms_decrypt_file(aws, wrapped_key, *context).hex()
    restored = tmp_path / "document.out"
    openssl_ok(
        "enc", "-d", "-aes-256-cbc", "-K", recovered_hex, "-iv", iv_hex, "-in", str(encrypted), "-out", str(restored)
    )
    assert restored.read_bytes() == document.read_bytes()


def test_envelope_with_pbkdf2_password_file(aws: AwsCli, cmk: str, document: Path, tmp_path: Path) -> None:
    data_key = aws("kms", "generate-data-key", "--key-id", cmk, "--key-spec", "AES_256")
    wrapped_key = tmp_path / "key.enc"
    wrapped_key.write_bytes(unb64(data_key["CiphertextBlob"]))
    pass_file = tmp_path / "key.b64"
    pass_file.write_text(data_key["Plaintext"] + "\n")
    encrypted = tmp_path / "document.enc"
    openssl_ok(
        "enc", "-aes-256-cbc", "-pbkdf2", "-salt", "-pass", f"file:{pass_file}",
        "-in", str(document), "-out", str(encrypted),
    )  # fmt: skip
    pass_file.unlink()
    del data_key

    # A different data key must not open the file (the comparison below can fail).
    other = aws("kms", "generate-data-key", "--key-id", cmk, "--key-spec", "AES_256")["Plaintext"]
    pass_file.write_text(other + "\n")
    wrong = openssl("enc", "-d", "-aes-256-cbc", "-pbkdf2", "-pass", f"file:{pass_file}", "-in", str(encrypted))
    assert wrong.returncode != 0 or wrong.stdout != document.read_bytes()

    recovered = kms_decrypt_file(aws, wrapped_key)
    pass_file.write_text(b64(recovered) + "\n")
    restored = tmp_path / "document.out"
    openssl_ok(
        "enc", "-d", "-aes-256-cbc", "-pbkdf2", "-pass", f"file:{pass_file}",
        "-in", str(encrypted), "-out", str(restored),
    )  # fmt: skip
    assert restored.read_bytes() == document.read_bytes()


def test_envelope_from_data_key_without_plaintext(aws: AwsCli, cmk: str, document: Path, tmp_path: Path) -> None:
    """Provision the wrapped key first; decrypt it only when the file is encrypted."""
    wrapped = aws("kms", "generate-data-key-without-plaintext", "--key-id", cmk, "--key-spec", "AES_256")
    assert "Plaintext" not in wrapped
    wrapped_key = tmp_path / "key.enc"
    wrapped_key.write_bytes(unb64(wrapped["CiphertextBlob"]))

    key_hex = kms_decrypt_file(aws, wrapped_key, "--key-id", cmk).hex()
    iv_hex = os.urandom(16).hex()
    encrypted = tmp_path / "document.enc"
    openssl_ok("enc", "-aes-256-cbc", "-K", key_hex, "-iv", iv_hex, "-in", str(document), "-out", str(encrypted))
    del key_hex

    restored = tmp_path / "document.out"
    again_hex = kms_decrypt_file(aws, wrapped_key).hex()
    openssl_ok(
        "enc", "-d", "-aes-256-cbc", "-K", again_hex, "-iv", iv_hex, "-in", str(encrypted), "-out", str(restored)
    )
    assert restored.read_bytes() == document.read_bytes()


def test_wrapped_key_cannot_be_unwrapped_while_cmk_is_disabled(
    aws: AwsCli, aws_fail: Callable[..., str], cmk: str, tmp_path: Path
) -> None:
    data_key = aws("kms", "generate-data-key", "--key-id", cmk, "--key-spec", "AES_256")
    wrapped_key = tmp_path / "key.enc"
    wrapped_key.write_bytes(unb64(data_key["CiphertextBlob"]))
    aws("kms", "disable-key", "--key-id", aws("kms", "describe-key", "--key-id", cmk)["KeyMetadata"]["KeyId"])
    assert "DisabledException" in aws_fail("kms", "decrypt", "--ciphertext-blob", f"fileb://{wrapped_key}")
    aws("kms", "enable-key", "--key-id", aws("kms", "describe-key", "--key-id", cmk)["KeyMetadata"]["KeyId"])
    assert kms_decrypt_file(aws, wrapped_key) == unb64(data_key["Plaintext"])
