"""Asymmetric, HMAC and key-agreement keys through boto3 and the AWS CLI v1, cross-checked with the
openssl CLI (OpenSSL 3.0):

* openssl verifies kmsd's signatures against GetPublicKey's DER SubjectPublicKeyInfo: RSASSA-PSS with
  salt length = digest length, RSASSA-PKCS1-v1_5, ECDSA on P-256/384/521 and secp256k1 (DER signatures),
  Ed25519; and kmsd verifies signatures over the digest openssl computes (MessageType DIGEST).
* data openssl encrypts to the public key with RSAES-OAEP (SHA-1 and SHA-256, MGF1 of the same hash)
  kmsd decrypts; kmsd's own RSA ciphertexts come back through Decrypt and ReEncrypt.
* DeriveSharedSecret with an openssl-made peer key equals ``openssl pkeyutl -derive`` on the other side.
* HMAC keys never leave kmsd: GenerateMac / VerifyMac round trips, tampering → KMSInvalidMacException.
* GenerateDataKeyPair: the PKCS#8 private key matches its SPKI public key (``openssl pkey``), and the
  encrypted copy decrypts to it under the encryption context.
* ML-DSA (which OpenSSL 3.0 does not know) and Ed25519ph round trip through kmsd only.

Everything runs on the shared server; every test makes keys of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    AwsCli,
    Credentials,
    KmsdServer,
    assert_client_error,
    aws_client,
    key_arn,
    kms_client,
    unb64,
)

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")

MESSAGE = b"kmsd signs this; openssl checks it.\n"

# (KeySpec, SigningAlgorithm, openssl digest): every algorithm openssl 3.0 can check.
RSA_PKCS1 = [
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", "sha256"),
    ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384", "sha384"),
    ("RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512", "sha512"),
]
RSA_PSS = [
    ("RSA_2048", "RSASSA_PSS_SHA_256", "sha256"),
    ("RSA_2048", "RSASSA_PSS_SHA_384", "sha384"),
    ("RSA_3072", "RSASSA_PSS_SHA_512", "sha512"),
]
ECDSA = [
    ("ECC_NIST_P256", "ECDSA_SHA_256", "sha256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384", "sha384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512", "sha512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", "sha256"),
]
DIGEST_LEN = {"sha256": 32, "sha384": 48, "sha512": 64}


# --- helpers ---------------------------------------------------------------------------------


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("openssl")
    assert exe is not None
    return subprocess.run([exe, *args], input=stdin, capture_output=True, timeout=60, check=False)


def openssl_ok(*args: str, stdin: bytes | None = None) -> bytes:
    proc = openssl(*args, stdin=stdin)
    assert proc.returncode == 0, f"openssl {' '.join(args)} failed: {proc.stderr.decode()}"
    return proc.stdout


def expect(code: str, call: Callable[..., Any], /, **params: Any) -> ClientError:
    """``call(**params)`` fails with exactly ``code`` and HTTP 400."""
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code)
    return info.value


def new_key(kms: Any, spec: str, usage: str) -> str:
    metadata = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=f"pytest {spec}")["KeyMetadata"]
    assert metadata["KeySpec"] == spec and metadata["KeyUsage"] == usage
    return str(metadata["KeyId"])


def public_key_pem(kms: Any, key_id: str, directory: Path) -> Path:
    """GetPublicKey's DER SPKI, converted to PEM by openssl (which also proves it parses)."""
    der = kms.get_public_key(KeyId=key_id)["PublicKey"]
    assert der[:1] == b"\x30", "DER SEQUENCE"
    der_path = directory / f"{key_id}.pub.der"
    der_path.write_bytes(der)
    pem_path = directory / f"{key_id}.pub.pem"
    openssl_ok("pkey", "-pubin", "-inform", "DER", "-in", str(der_path), "-out", str(pem_path))
    # Re-encoding the parsed key gives the same DER: it is canonical SubjectPublicKeyInfo.
    assert openssl_ok("pkey", "-pubin", "-in", str(pem_path), "-outform", "DER") == der
    return pem_path


def kms_sign(kms: Any, key_id: str, message: bytes, algorithm: str, message_type: str = "RAW") -> bytes:
    out = kms.sign(KeyId=key_id, Message=message, MessageType=message_type, SigningAlgorithm=algorithm)
    assert out["KeyId"] == key_arn(key_id)
    assert out["SigningAlgorithm"] == algorithm
    return bytes(out["Signature"])


def openssl_verify(pem: Path, digest: str, message: Path, signature: bytes, directory: Path, *sigopts: str) -> bool:
    sig_path = directory / "signature.bin"
    sig_path.write_bytes(signature)
    args = ["dgst", f"-{digest}", "-verify", str(pem), "-signature", str(sig_path)]
    for opt in sigopts:
        args += ["-sigopt", opt]
    proc = openssl(*args, str(message))
    return proc.returncode == 0 and b"Verified OK" in proc.stdout


@pytest.fixture
def message_file(tmp_path: Path) -> Path:
    path = tmp_path / "message.txt"
    path.write_bytes(MESSAGE)
    return path


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "algorithm", "digest"), RSA_PKCS1 + ECDSA)
def test_openssl_verifies_pkcs1_and_ecdsa_signatures(
    kms: Any, tmp_path: Path, message_file: Path, spec: str, algorithm: str, digest: str
) -> None:
    key_id = new_key(kms, spec, "SIGN_VERIFY")
    pem = public_key_pem(kms, key_id, tmp_path)
    signature = kms_sign(kms, key_id, MESSAGE, algorithm)
    assert openssl_verify(pem, digest, message_file, signature, tmp_path)
    if algorithm.startswith("ECDSA"):
        assert signature[:1] == b"\x30", "ECDSA signatures are DER"
    # openssl rejects it for another message: the check above could fail.
    other = tmp_path / "other.txt"
    other.write_bytes(MESSAGE + b"!")
    assert not openssl_verify(pem, digest, other, signature, tmp_path)
    # A signature over the digest openssl computes verifies too, both in openssl and in kmsd.
    message_digest = openssl_ok("dgst", f"-{digest}", "-binary", str(message_file))
    assert len(message_digest) == DIGEST_LEN[digest]
    digest_signature = kms_sign(kms, key_id, message_digest, algorithm, "DIGEST")
    assert openssl_verify(pem, digest, message_file, digest_signature, tmp_path)
    out = kms.verify(
        KeyId=key_id, Message=MESSAGE, MessageType="RAW", Signature=digest_signature, SigningAlgorithm=algorithm
    )
    assert out["SignatureValid"] is True


@pytest.mark.parametrize(("spec", "algorithm", "digest"), RSA_PSS)
def test_openssl_verifies_pss_with_salt_length_equal_to_digest_length(
    kms: Any, tmp_path: Path, message_file: Path, spec: str, algorithm: str, digest: str
) -> None:
    key_id = new_key(kms, spec, "SIGN_VERIFY")
    pem = public_key_pem(kms, key_id, tmp_path)
    signature = kms_sign(kms, key_id, MESSAGE, algorithm)
    salt = str(DIGEST_LEN[digest])
    pss = ("rsa_padding_mode:pss", f"rsa_pss_saltlen:{salt}", f"rsa_mgf1_md:{digest}")
    assert openssl_verify(pem, digest, message_file, signature, tmp_path, *pss)
    # The salt length is exactly the digest length: openssl refuses any other one.
    assert not openssl_verify(pem, digest, message_file, signature, tmp_path, *pss[:1], "rsa_pss_saltlen:20")
    # ... and it is not PKCS#1 v1.5.
    assert not openssl_verify(pem, digest, message_file, signature, tmp_path)
    # PSS is randomized: two signatures differ, both valid.
    assert kms_sign(kms, key_id, MESSAGE, algorithm) != signature


def test_openssl_verifies_ed25519_and_kmsd_verifies_ed25519ph(
    kms: Any, tmp_path: Path, message_file: Path
) -> None:
    key_id = new_key(kms, "ECC_NIST_EDWARDS25519", "SIGN_VERIFY")
    pem = public_key_pem(kms, key_id, tmp_path)
    signature = kms_sign(kms, key_id, MESSAGE, "ED25519_SHA_512")
    assert len(signature) == 64
    # Ed25519 is deterministic.
    assert kms_sign(kms, key_id, MESSAGE, "ED25519_SHA_512") == signature
    sig_path = tmp_path / "ed.sig"
    sig_path.write_bytes(signature)
    verify = ["pkeyutl", "-verify", "-pubin", "-inkey", str(pem), "-rawin", "-sigfile", str(sig_path), "-in"]
    assert b"Signature Verified Successfully" in openssl_ok(*verify, str(message_file))
    other = tmp_path / "other.txt"
    other.write_bytes(b"another message")
    assert openssl(*verify, str(other)).returncode != 0
    # Ed25519ph (HashEdDSA) over a SHA-512 digest: OpenSSL 3.0 has no CLI for it, so kmsd checks.
    digest = hashlib.sha512(MESSAGE).digest()
    ph = kms_sign(kms, key_id, digest, "ED25519_PH_SHA_512", "DIGEST")
    assert ph != signature
    out = kms.verify(
        KeyId=key_id, Message=digest, MessageType="DIGEST", Signature=ph, SigningAlgorithm="ED25519_PH_SHA_512"
    )
    assert out["SignatureValid"] is True
    expect(
        "KMSInvalidSignatureException",
        kms.verify,
        KeyId=key_id,
        Message=digest,
        MessageType="DIGEST",
        Signature=signature,
        SigningAlgorithm="ED25519_PH_SHA_512",
    )
    expect(
        "ValidationException",
        kms.sign,
        KeyId=key_id,
        Message=MESSAGE,
        MessageType="RAW",
        SigningAlgorithm="ED25519_PH_SHA_512",
    )


@pytest.mark.parametrize(("spec", "signature_len"), [("ML_DSA_44", 2420), ("ML_DSA_65", 3309), ("ML_DSA_87", 4627)])
def test_ml_dsa_round_trips(kms: Any, spec: str, signature_len: int) -> None:
    key_id = new_key(kms, spec, "SIGN_VERIFY")
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["SigningAlgorithms"] == ["ML_DSA_SHAKE_256"]
    assert "CustomerMasterKeySpec" not in metadata
    signature = kms_sign(kms, key_id, MESSAGE, "ML_DSA_SHAKE_256")
    assert len(signature) == signature_len
    out = kms.verify(KeyId=key_id, Message=MESSAGE, Signature=signature, SigningAlgorithm="ML_DSA_SHAKE_256")
    assert out["SignatureValid"] is True
    expect(
        "KMSInvalidSignatureException",
        kms.verify,
        KeyId=key_id,
        Message=MESSAGE + b"x",
        Signature=signature,
        SigningAlgorithm="ML_DSA_SHAKE_256",
    )
    # An external mu (64 bytes) signs and verifies as EXTERNAL_MU.
    mu = os.urandom(64)
    mu_signature = kms_sign(kms, key_id, mu, "ML_DSA_SHAKE_256", "EXTERNAL_MU")
    assert len(mu_signature) == signature_len
    out = kms.verify(
        KeyId=key_id, Message=mu, MessageType="EXTERNAL_MU", Signature=mu_signature, SigningAlgorithm="ML_DSA_SHAKE_256"
    )
    assert out["SignatureValid"] is True
    # The public key is an SPKI openssl 3.0 can't parse (no ML-DSA), but its size is FIPS 204's.
    public = kms.get_public_key(KeyId=key_id)["PublicKey"]
    assert len(public) == {"ML_DSA_44": 1312, "ML_DSA_65": 1952, "ML_DSA_87": 2592}[spec] + 22


def test_bad_signatures_are_kms_invalid_signature(kms: Any) -> None:
    key_id = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    other_id = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    signature = kms_sign(kms, key_id, MESSAGE, "ECDSA_SHA_256")
    good = kms.verify(KeyId=key_id, Message=MESSAGE, Signature=signature, SigningAlgorithm="ECDSA_SHA_256")
    assert good["SignatureValid"] is True and good["KeyId"] == key_arn(key_id)
    flipped = bytearray(signature)
    flipped[-1] ^= 0x01
    for key, message, sig in [
        (key_id, MESSAGE + b".", signature),
        (key_id, MESSAGE, bytes(flipped)),
        (key_id, MESSAGE, signature[:-1]),
        (key_id, MESSAGE, b"\x00"),
        (other_id, MESSAGE, signature),
    ]:
        err = expect(
            "KMSInvalidSignatureException",
            kms.verify,
            KeyId=key,
            Message=message,
            Signature=sig,
            SigningAlgorithm="ECDSA_SHA_256",
        )
        assert isinstance(err, kms.exceptions.KMSInvalidSignatureException)


def test_signing_errors(kms: Any) -> None:
    signer = new_key(kms, "RSA_2048", "SIGN_VERIFY")
    encrypter = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    err = expect(
        "InvalidKeyUsageException", kms.sign, KeyId=encrypter, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    assert err.response["Error"]["Message"] == (
        f"{key_arn(encrypter)} key usage is ENCRYPT_DECRYPT which is not valid for Sign."
    )
    expect("InvalidKeyUsageException", kms.sign, KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    err = expect("InvalidKeyUsageException", kms.sign, KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert err.response["Error"]["Message"] == "Algorithm ECDSA_SHA_256 is incompatible with key spec RSA_2048."
    err = expect(
        "ValidationException",
        kms.sign,
        KeyId=signer,
        Message=b"\x00" * 31,
        MessageType="DIGEST",
        SigningAlgorithm="RSASSA_PSS_SHA_256",
    )
    assert err.response["Error"]["Message"] == "Digest is invalid length for algorithm RSASSA_PSS_SHA_256."
    expect("ValidationException", kms.sign, KeyId=signer, Message=b"m", SigningAlgorithm="NOT_AN_ALGORITHM")
    expect("ValidationException", kms.sign, KeyId=signer, Message=b"m" * 4097, SigningAlgorithm="RSASSA_PSS_SHA_256")
    with pytest.raises(ClientError) as info:
        kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256", DryRun=True)
    assert_client_error(info.value, "DryRunOperationException", 412)
    expect("NotFoundException", kms.sign, KeyId="alias/nothing-here", Message=b"m", SigningAlgorithm="ECDSA_SHA_256")


def test_cli_signs_and_verifies(aws: AwsCli, tmp_path: Path, message_file: Path) -> None:
    key_id = aws("kms", "create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    signed = aws(
        "kms", "sign", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--message-type", "RAW", "--signing-algorithm", "ECDSA_SHA_384",
    )  # fmt: skip
    signature = unb64(signed["Signature"])
    sig_path = tmp_path / "cli.sig"
    sig_path.write_bytes(signature)
    verified = aws(
        "kms", "verify", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--signature", f"fileb://{sig_path}", "--signing-algorithm", "ECDSA_SHA_384",
    )  # fmt: skip
    assert verified["SignatureValid"] is True
    # openssl agrees, with the key the CLI fetched.
    public = aws("kms", "get-public-key", "--key-id", key_id)
    assert public["KeySpec"] == "ECC_NIST_P384" and public["SigningAlgorithms"] == ["ECDSA_SHA_384"]
    der = tmp_path / "cli.pub.der"
    der.write_bytes(unb64(public["PublicKey"]))
    pem = tmp_path / "cli.pub.pem"
    openssl_ok("pkey", "-pubin", "-inform", "DER", "-in", str(der), "-out", str(pem))
    assert openssl_verify(pem, "sha384", message_file, signature, tmp_path)
    # A tampered signature fails in the CLI with the AWS error code.
    sig_path.write_bytes(signature[:-1] + bytes([signature[-1] ^ 1]))
    stderr = aws.fail(
        "kms", "verify", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--signature", f"fileb://{sig_path}", "--signing-algorithm", "ECDSA_SHA_384",
    )  # fmt: skip
    assert "KMSInvalidSignatureException" in stderr


# --- RSA OAEP --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm", "md", "max_len"),
    [
        ("RSA_2048", "RSAES_OAEP_SHA_1", "sha1", 214),
        ("RSA_2048", "RSAES_OAEP_SHA_256", "sha256", 190),
        ("RSA_3072", "RSAES_OAEP_SHA_256", "sha256", 318),
        ("RSA_4096", "RSAES_OAEP_SHA_1", "sha1", 470),
    ],
)
def test_kmsd_decrypts_what_openssl_encrypts_with_oaep(
    kms: Any, tmp_path: Path, spec: str, algorithm: str, md: str, max_len: int
) -> None:
    key_id = new_key(kms, spec, "ENCRYPT_DECRYPT")
    pem = public_key_pem(kms, key_id, tmp_path)
    public = kms.get_public_key(KeyId=key_id)
    assert public["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    assert "SigningAlgorithms" not in public
    plaintext = os.urandom(max_len)  # the largest plaintext AWS's table allows
    pt = tmp_path / "plain.bin"
    pt.write_bytes(plaintext)
    ct = tmp_path / "cipher.bin"
    openssl_ok(
        "pkeyutl", "-encrypt", "-pubin", "-inkey", str(pem), "-in", str(pt), "-out", str(ct),
        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}", "-pkeyopt", f"rsa_mgf1_md:{md}",
    )  # fmt: skip
    out = kms.decrypt(KeyId=key_id, CiphertextBlob=ct.read_bytes(), EncryptionAlgorithm=algorithm)
    assert out["Plaintext"] == plaintext
    assert out["KeyId"] == key_arn(key_id) and out["EncryptionAlgorithm"] == algorithm
    assert "KeyMaterialId" not in out
    # The other OAEP hash, a changed byte, no KeyId: refused.
    other = "RSAES_OAEP_SHA_256" if algorithm == "RSAES_OAEP_SHA_1" else "RSAES_OAEP_SHA_1"
    ciphertext = ct.read_bytes()
    expect(
        "InvalidCiphertextException", kms.decrypt, KeyId=key_id, CiphertextBlob=ciphertext, EncryptionAlgorithm=other
    )
    changed = bytearray(ct.read_bytes())
    changed[10] ^= 1
    expect(
        "InvalidCiphertextException",
        kms.decrypt,
        KeyId=key_id,
        CiphertextBlob=bytes(changed),
        EncryptionAlgorithm=algorithm,
    )
    expect("InvalidCiphertextException", kms.decrypt, CiphertextBlob=ct.read_bytes())
    # kmsd's own encryption round trips; one byte more than the table allows is refused.
    blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext, EncryptionAlgorithm=algorithm)["CiphertextBlob"]
    assert kms.decrypt(KeyId=key_id, CiphertextBlob=blob, EncryptionAlgorithm=algorithm)["Plaintext"] == plaintext
    expect("ValidationException", kms.encrypt, KeyId=key_id, Plaintext=plaintext + b"!", EncryptionAlgorithm=algorithm)


def test_rsa_encryption_rules(kms: Any) -> None:
    key_id = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect("InvalidKeyUsageException", kms.encrypt, KeyId=key_id, Plaintext=b"x")  # SYMMETRIC_DEFAULT
    expect(
        "ValidationException",
        kms.encrypt,
        KeyId=key_id,
        Plaintext=b"x",
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
        EncryptionContext={"a": "b"},
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    expect("InvalidKeyUsageException", kms.decrypt, KeyId=key_id, CiphertextBlob=blob)
    # ReEncrypt from the RSA key to a symmetric one, and back.
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceKeyId=key_id,
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric,
        DestinationEncryptionContext={"moved": "yes"},
    )
    assert moved["SourceKeyId"] == key_arn(key_id) and "SourceKeyMaterialId" not in moved
    assert "DestinationKeyMaterialId" in moved
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"moved": "yes"})["Plaintext"] == b"x"
    signer = new_key(kms, "RSA_2048", "SIGN_VERIFY")
    expect(
        "InvalidKeyUsageException", kms.encrypt, KeyId=signer, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )


# --- ECDH ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "curve", "secret_len"),
    [("ECC_NIST_P256", "P-256", 32), ("ECC_NIST_P384", "P-384", 48), ("ECC_NIST_P521", "P-521", 66)],
)
def test_ecdh_secret_equals_openssls_derivation(
    kms: Any, tmp_path: Path, spec: str, curve: str, secret_len: int
) -> None:
    key_id = new_key(kms, spec, "KEY_AGREEMENT")
    kms_pem = public_key_pem(kms, key_id, tmp_path)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyAgreementAlgorithms"] == ["ECDH"]
    peer = tmp_path / "peer.pem"
    openssl_ok("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", str(peer))
    peer_spki = openssl_ok("pkey", "-in", str(peer), "-pubout", "-outform", "DER")
    out = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=peer_spki)
    assert out["KeyId"] == key_arn(key_id) and out["KeyOrigin"] == "AWS_KMS"
    assert out["KeyAgreementAlgorithm"] == "ECDH"
    expected = openssl_ok("pkeyutl", "-derive", "-inkey", str(peer), "-peerkey", str(kms_pem))
    assert len(expected) == secret_len
    assert out["SharedSecret"] == expected
    # A key of another curve is refused.
    other_curve = "P-384" if curve != "P-384" else "P-256"
    other = tmp_path / "other.pem"
    openssl_ok("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{other_curve}", "-out", str(other))
    other_spki = openssl_ok("pkey", "-in", str(other), "-pubout", "-outform", "DER")
    derive = kms.derive_shared_secret
    expect("ValidationException", derive, KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=other_spki)


def test_ecdh_rules(kms: Any, aws: AwsCli, tmp_path: Path) -> None:
    key_id = new_key(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    signer = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    peer = kms.get_public_key(KeyId=signer)["PublicKey"]
    derive = kms.derive_shared_secret
    expect("ValidationException", derive, KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=b"junk")
    expect("ValidationException", derive, KeyId=key_id, KeyAgreementAlgorithm="X25519", PublicKey=peer)
    expect("InvalidKeyUsageException", derive, KeyId=signer, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    # A KEY_AGREEMENT key does not sign.
    expect("InvalidKeyUsageException", kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    # The CLI derives the same secret as boto3.
    peer_path = tmp_path / "peer.der"
    peer_path.write_bytes(peer)
    cli = aws(
        "kms", "derive-shared-secret", "--key-id", key_id, "--key-agreement-algorithm", "ECDH",
        "--public-key", f"fileb://{peer_path}",
    )  # fmt: skip
    boto = kms.derive_shared_secret(KeyId=key_id, KeyAgreementAlgorithm="ECDH", PublicKey=peer)
    assert unb64(cli["SharedSecret"]) == boto["SharedSecret"]


# --- HMAC ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "algorithm", "mac_len"),
    [
        ("HMAC_224", "HMAC_SHA_224", 28),
        ("HMAC_256", "HMAC_SHA_256", 32),
        ("HMAC_384", "HMAC_SHA_384", 48),
        ("HMAC_512", "HMAC_SHA_512", 64),
    ],
)
def test_hmac_round_trips_and_tampering(kms: Any, spec: str, algorithm: str, mac_len: int) -> None:
    key_id = new_key(kms, spec, "GENERATE_VERIFY_MAC")
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["MacAlgorithms"] == [algorithm] and "EncryptionAlgorithms" not in metadata
    out = kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm=algorithm)
    mac = out["Mac"]
    assert len(mac) == mac_len and out["MacAlgorithm"] == algorithm and out["KeyId"] == key_arn(key_id)
    assert kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm=algorithm)["Mac"] == mac
    assert kms.generate_mac(KeyId=key_id, Message=MESSAGE + b".", MacAlgorithm=algorithm)["Mac"] != mac
    ok = kms.verify_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm=algorithm, Mac=mac)
    assert ok["MacValid"] is True and ok["KeyId"] == key_arn(key_id)
    flipped = bytes([mac[0] ^ 1]) + mac[1:]
    for message, candidate in [(MESSAGE + b".", mac), (MESSAGE, flipped), (MESSAGE, mac[:-1])]:
        params = {"KeyId": key_id, "Message": message, "MacAlgorithm": algorithm, "Mac": candidate}
        err = expect("KMSInvalidMacException", kms.verify_mac, **params)
        assert isinstance(err, kms.exceptions.KMSInvalidMacException)
    # The key is random, not a well-known one: the MAC is not HMAC under an empty or all-zero key.
    hash_name = "sha" + algorithm.rsplit("_", 1)[1]
    for guess in [b"", b"\x00" * mac_len]:
        assert mac != hmac.new(guess, MESSAGE, hash_name).digest()
    other_algorithm = "HMAC_SHA_512" if algorithm != "HMAC_SHA_512" else "HMAC_SHA_256"
    expect("InvalidKeyUsageException", kms.generate_mac, KeyId=key_id, Message=MESSAGE, MacAlgorithm=other_algorithm)
    expect("UnsupportedOperationException", kms.get_public_key, KeyId=key_id)


def test_hmac_through_the_cli_and_usage_rules(aws: AwsCli, kms: Any, tmp_path: Path, message_file: Path) -> None:
    key_id = aws("kms", "create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC")["KeyMetadata"][
        "KeyId"
    ]
    mac = aws(
        "kms", "generate-mac", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--mac-algorithm", "HMAC_SHA_256",
    )["Mac"]  # fmt: skip
    mac_path = tmp_path / "mac.bin"
    mac_path.write_bytes(unb64(mac))
    verified = aws(
        "kms", "verify-mac", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--mac-algorithm", "HMAC_SHA_256", "--mac", f"fileb://{mac_path}",
    )  # fmt: skip
    assert verified["MacValid"] is True
    assert kms.generate_mac(KeyId=key_id, Message=MESSAGE, MacAlgorithm="HMAC_SHA_256")["Mac"] == unb64(mac)
    mac_path.write_bytes(unb64(mac)[::-1])
    stderr = aws.fail(
        "kms", "verify-mac", "--key-id", key_id, "--message", f"fileb://{message_file}",
        "--mac-algorithm", "HMAC_SHA_256", "--mac", f"fileb://{mac_path}",
    )  # fmt: skip
    assert "KMSInvalidMacException" in stderr
    # HMAC keys need GENERATE_VERIFY_MAC; they neither encrypt nor rotate.
    expect("ValidationException", kms.create_key, KeySpec="HMAC_256")
    expect("ValidationException", kms.create_key, KeySpec="HMAC_256", KeyUsage="SIGN_VERIFY")
    expect("InvalidKeyUsageException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect("UnsupportedOperationException", kms.enable_key_rotation, KeyId=key_id)
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    expect("InvalidKeyUsageException", kms.generate_mac, KeyId=symmetric, Message=b"m", MacAlgorithm="HMAC_SHA_256")


# --- data key pairs --------------------------------------------------------------------------


DATA_KEY_PAIR_SPECS = [
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
]


@pytest.mark.parametrize("spec", DATA_KEY_PAIR_SPECS)
def test_data_key_pair_private_key_matches_its_public_key(kms: Any, tmp_path: Path, spec: str) -> None:
    wrapping = kms.create_key()["KeyMetadata"]
    context = {"purpose": "data-key-pair", "spec": spec}
    out = kms.generate_data_key_pair(KeyId=wrapping["KeyId"], KeyPairSpec=spec, EncryptionContext=context)
    assert out["KeyPairSpec"] == spec and out["KeyId"] == key_arn(wrapping["KeyId"])
    assert out["KeyMaterialId"] == wrapping["CurrentKeyMaterialId"]
    private_der = tmp_path / "private.der"
    private_der.write_bytes(out["PrivateKeyPlaintext"])
    # openssl reads the PKCS#8 private key and derives exactly the returned SPKI from it.
    derived = openssl_ok("pkey", "-inform", "DER", "-in", str(private_der), "-pubout", "-outform", "DER")
    assert derived == out["PublicKey"]
    text = openssl_ok("pkey", "-inform", "DER", "-in", str(private_der), "-noout", "-text").decode()
    expected_name = {
        "RSA_2048": "2048 bit", "RSA_3072": "3072 bit", "RSA_4096": "4096 bit", "ECC_NIST_P256": "P-256",
        "ECC_NIST_P384": "P-384", "ECC_NIST_P521": "P-521", "ECC_SECG_P256K1": "secp256k1",
        "ECC_NIST_EDWARDS25519": "ED25519",
    }[spec]  # fmt: skip
    assert expected_name in text, text[:200]
    # The encrypted private key decrypts to the same PKCS#8, only with the encryption context.
    blob = out["PrivateKeyCiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=context)["Plaintext"] == out["PrivateKeyPlaintext"]
    expect("InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob)
    # Without plaintext: only the encrypted private key and the public key.
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=wrapping["KeyId"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in bare and bare["PublicKey"] != out["PublicKey"]
    recovered = kms.decrypt(CiphertextBlob=bare["PrivateKeyCiphertextBlob"])["Plaintext"]
    private_der.write_bytes(recovered)
    derived = openssl_ok("pkey", "-inform", "DER", "-in", str(private_der), "-pubout", "-outform", "DER")
    assert derived == bare["PublicKey"]


def test_data_key_pair_signs_like_openssl_expects(kms: Any, aws: AwsCli, tmp_path: Path, message_file: Path) -> None:
    """The CLI's data key pair is a usable key: openssl signs with it and verifies with its public half."""
    wrapping = aws("kms", "create-key")["KeyMetadata"]["KeyId"]
    out = aws("kms", "generate-data-key-pair", "--key-id", wrapping, "--key-pair-spec", "ECC_NIST_P256")
    private = tmp_path / "pair.der"
    private.write_bytes(unb64(out["PrivateKeyPlaintext"]))
    public = tmp_path / "pair.pub.der"
    public.write_bytes(unb64(out["PublicKey"]))
    signature = tmp_path / "pair.sig"
    openssl_ok("dgst", "-sha256", "-keyform", "DER", "-sign", str(private), "-out", str(signature), str(message_file))
    verified = openssl_ok(
        "dgst", "-sha256", "-keyform", "DER", "-verify", str(public), "-signature", str(signature), str(message_file)
    )
    assert b"Verified OK" in verified
    expect("UnsupportedOperationException", kms.generate_data_key_pair, KeyId=wrapping, KeyPairSpec="SM2")
    rsa = new_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    expect("InvalidKeyUsageException", kms.generate_data_key_pair, KeyId=rsa, KeyPairSpec="ECC_NIST_P256")


# --- keys ------------------------------------------------------------------------------------


def test_describe_key_and_key_rules(kms: Any) -> None:
    rsa = kms.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert rsa["CustomerMasterKeySpec"] == "RSA_4096"
    assert rsa["SigningAlgorithms"] == [
        "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
    ]  # fmt: skip
    for absent in ("EncryptionAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms", "CurrentKeyMaterialId"):
        assert absent not in rsa, absent
    ed = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert ed["SigningAlgorithms"] == ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
    # KeyUsage defaults to ENCRYPT_DECRYPT, which ECC keys can't have; SM2 is China-only.
    expect("ValidationException", kms.create_key, KeySpec="ECC_NIST_P256")
    expect("ValidationException", kms.create_key, KeySpec="ECC_SECG_P256K1", KeyUsage="KEY_AGREEMENT")
    expect("UnsupportedOperationException", kms.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    # Asymmetric keys don't rotate.
    expect("UnsupportedOperationException", kms.enable_key_rotation, KeyId=rsa["KeyId"])
    expect("UnsupportedOperationException", kms.rotate_key_on_demand, KeyId=rsa["KeyId"])
    # A symmetric key has no public key.
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    expect("UnsupportedOperationException", kms.get_public_key, KeyId=symmetric)


def test_keys_survive_a_restart(private_kmsd: KmsdServer, tmp_path: Path, message_file: Path) -> None:
    """The private key is stored sealed under the domain key and comes back whole after a restart."""
    kms = kms_client(private_kmsd)
    key_id = new_key(kms, "RSA_2048", "SIGN_VERIFY")
    before = kms.get_public_key(KeyId=key_id)["PublicKey"]
    signature = kms_sign(kms, key_id, MESSAGE, "RSASSA_PKCS1_V1_5_SHA_256")
    # The private key is stored sealed: no run of its modulus (which PKCS#8 holds in clear) is on disk.
    data = b"".join(p.read_bytes() for p in private_kmsd.data_dir.rglob("*") if p.is_file())
    assert len(data) > 0 and before[100:164] not in data
    private_kmsd.restart()
    kms = kms_client(private_kmsd)
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == before
    # Deterministic PKCS#1 v1.5: the same signature means the same private key.
    assert kms_sign(kms, key_id, MESSAGE, "RSASSA_PKCS1_V1_5_SHA_256") == signature
    pem = public_key_pem(kms, key_id, tmp_path)
    assert openssl_verify(pem, "sha256", message_file, signature, tmp_path)


def test_grants_allow_signing_and_macs(kmsd: KmsdServer, kms: Any) -> None:
    """A user with no policy of its own signs, fetches the public key and makes MACs through grants."""
    iam = aws_client(kmsd, "iam")
    name = f"asym-grantee-{os.urandom(5).hex()}"
    user_arn = iam.create_user(UserName=name)["User"]["Arn"]
    user = aws_client(kmsd, "kms", Credentials.from_access_key(iam.create_access_key(UserName=name)["AccessKey"]))
    signer = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    hmac_key = new_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    expect("AccessDeniedException", user.sign, KeyId=key_arn(signer), Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    grant = kms.create_grant(KeyId=signer, GranteePrincipal=user_arn, Operations=["Sign", "Verify", "GetPublicKey"])
    signed = user.sign(KeyId=key_arn(signer), Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    verified = kms.verify(KeyId=signer, Message=b"m", Signature=signed["Signature"], SigningAlgorithm="ECDSA_SHA_256")
    assert verified["SignatureValid"] is True
    assert user.get_public_key(KeyId=key_arn(signer))["PublicKey"] == kms.get_public_key(KeyId=signer)["PublicKey"]
    # Operations that don't fit the key are refused at CreateGrant.
    for unfit in (["GenerateMac"], ["Encrypt"], ["GenerateDataKeyPair"]):
        expect("ValidationException", kms.create_grant, KeyId=signer, GranteePrincipal=user_arn, Operations=unfit)
    expect("ValidationException", kms.create_grant, KeyId=hmac_key, GranteePrincipal=user_arn, Operations=["Sign"])
    kms.create_grant(KeyId=hmac_key, GranteePrincipal=user_arn, Operations=["GenerateMac", "VerifyMac"])
    mac = user.generate_mac(KeyId=key_arn(hmac_key), Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert kms.verify_mac(KeyId=hmac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"] is True
    # Revoked: refused on the next request.
    kms.revoke_grant(KeyId=signer, GrantId=grant["GrantId"])
    expect("AccessDeniedException", user.sign, KeyId=key_arn(signer), Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
