"""Process harness and client helpers for the kmsd compatibility suite.

The fixtures in ``conftest.py`` are thin wrappers around the classes here:

* :class:`KmsdServer` starts ``kmsd serve --dev`` on an ephemeral port in its own data
  directory, and can restart it gracefully (SIGTERM) or brutally (SIGKILL).
* :class:`AwsCli` runs the venv's ``aws`` (AWS CLI v1) against a server with an
  isolated environment, so the developer's own AWS configuration never leaks in.
* :func:`kms_client` builds a boto3 KMS client for a server.
* Identity (IAM/STS): :class:`Account` and :func:`write_accounts_config` start kmsd with extra
  accounts, :class:`Credentials` is one access key pair (+ session token), :func:`aws_client`
  builds a boto3 client of any service with them, and :class:`IdentityCli` is an :class:`AwsCli`
  whose ``iam``/``sts``/``kms`` calls all reach kmsd as the given credentials.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import boto3
import botocore.config
from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "111122223333"
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
ARN_PREFIX = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}"
KEY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LISTENING_RE = re.compile(r"^kmsd listening on (http://127\.0\.0\.1:\d+)\s*$")

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 120.0

# AWS environment variables that would change how a client behaves; all of them are
# dropped from the environment handed to child processes and from this process.
_AWS_ENV_PREFIXES = ("AWS_", "BOTO_")


def kmsd_binary() -> Path:
    """The kmsd binary under test: $KMSD_BIN, else <repo>/target/debug/kmsd."""
    return Path(os.environ.get("KMSD_BIN", str(REPO_ROOT / "target" / "debug" / "kmsd")))


def venv_bin(name: str) -> str:
    """Path of an executable installed next to the running interpreter (the venv's bin/)."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


def key_arn(key_id: str) -> str:
    return f"{ARN_PREFIX}:key/{key_id}"


def alias_arn(alias_name: str) -> str:
    return f"{ARN_PREFIX}:{alias_name}"


def isolated_aws_env(config_dir: Path, endpoint: str | None) -> dict[str, str]:
    """A copy of os.environ with every AWS_* variable replaced by the dev-mode settings.

    ``config_dir`` receives empty config/credentials files so that ~/.aws is never read.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    config_file = config_dir / "config"
    creds_file = config_dir / "credentials"
    config_file.touch()
    creds_file.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(_AWS_ENV_PREFIXES)}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": str(config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(creds_file),
            "AWS_EC2_METADATA_DISABLED": "true",
            # One attempt: a retried 5xx would hide a server bug and slow the suite down.
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "AWS_PAGER": "",
        }
    )
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_KMS"] = endpoint
    return env


class KmsdError(RuntimeError):
    """kmsd failed to start or stop as the contract requires."""


class KmsdServer:
    """One kmsd process in dev mode, bound to 127.0.0.1 on an ephemeral port."""

    def __init__(self, binary: Path, work_dir: Path, config_path: Path | None = None) -> None:
        self.binary = binary
        self.work_dir = work_dir
        # An optional TOML file passed as ``--config`` (extra accounts: see write_accounts_config).
        self.config_path = config_path
        self.data_dir = work_dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = work_dir / "kmsd.log"
        self.endpoint = ""
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._stdout_extra: list[str] = []

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        if self._proc is not None:
            raise KmsdError("kmsd is already running")
        if not self.binary.exists():
            raise KmsdError(f"kmsd binary not found at {self.binary} (set KMSD_BIN or build it)")
        self.starts += 1
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap()
        self._log.write(f"\n===== start #{self.starts} =====\n".encode())
        self._log.flush()
        proc = subprocess.Popen(
            [
                str(self.binary),
                "serve",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                str(self.data_dir),
                *(["--config", str(self.config_path)] if self.config_path is not None else []),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "RUST_BACKTRACE": "1"},
        )
        self._proc = proc
        first_line: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._drain_stdout, args=(proc, first_line), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            line = first_line.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self._abort(f"kmsd printed no line on stdout within {START_TIMEOUT_S}s")
        match = LISTENING_RE.match(line)
        if match is None:
            self._abort(f"unexpected first stdout line from kmsd: {line!r}")
        self.endpoint = match.group(1)
        while True:
            if proc.poll() is not None:
                self._abort(f"kmsd exited with {proc.returncode} before becoming healthy")
            try:
                status, _ = self.http("GET", "/health")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self._abort("kmsd did not answer GET /health with 200 in time")
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code (the contract says 0)."""
        proc = self._require_proc()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self._reap()
            raise KmsdError(f"kmsd ignored SIGTERM for {STOP_TIMEOUT_S}s\n{self.log_tail()}") from None
        self._reap()
        return rc

    def kill9(self) -> None:
        proc = self._require_proc()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self._reap()

    def restart(self) -> int:
        """Graceful restart on the same data dir. Returns the exit code of the old process.

        The port can change: rebuild clients from ``endpoint`` afterwards.
        """
        rc = self.stop()
        if rc != 0:
            raise KmsdError(f"kmsd exited with {rc} on SIGTERM, expected 0\n{self.log_tail()}")
        self.start()
        return rc

    def kill9_and_restart(self) -> None:
        self.kill9()
        self.start()

    @property
    def extra_stdout(self) -> list[str]:
        """Lines printed on stdout after the 'listening' line (the contract allows none)."""
        return list(self._stdout_extra)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- dev endpoints -------------------------------------------------------------------
    def advance_clock(self, seconds: int) -> int:
        status, body = self.http("POST", f"/dev/advance-clock?seconds={seconds}")
        if status != 200:
            raise KmsdError(f"advance-clock answered {status}: {body!r}")
        return status

    def http(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Unsigned HTTP request to the server; returns (status, body) for any status."""
        req = urllib.request.Request(self.endpoint + path, data=body, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no kmsd log)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- kmsd log tail ({self.log_path}) ---\n{tail}"

    # -- internals -------------------------------------------------------------------
    def _drain_stdout(self, proc: subprocess.Popen[bytes], first: queue.Queue[str]) -> None:
        assert proc.stdout is not None
        sent = False
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if not sent:
                first.put(line)
                sent = True
            else:
                self._stdout_extra.append(line)
        if not sent:
            first.put("")

    def _require_proc(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise KmsdError("kmsd is not running")
        return self._proc

    def _reap(self) -> None:
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _abort(self, why: str) -> NoReturn:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._reap()
        raise KmsdError(f"{why}\n{self.log_tail()}")


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


class AwsCli:
    """Runs the venv's AWS CLI v1 against a kmsd server with an isolated environment."""

    def __init__(self, server: KmsdServer, config_dir: Path) -> None:
        self.server = server
        self.config_dir = config_dir
        self.exe = venv_bin("aws")

    def env(self, with_endpoint_env: bool = True) -> dict[str, str]:
        return isolated_aws_env(self.config_dir, self.server.endpoint if with_endpoint_env else None)

    def run(self, *args: str, with_endpoint_env: bool = True) -> CliResult:
        cmd = [self.exe, *args, "--output", "json"]
        proc = subprocess.run(
            cmd,
            env=self.env(with_endpoint_env),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    def __call__(self, *args: str, with_endpoint_env: bool = True) -> Any:
        """Run ``aws <args> --output json``; assert success and return the parsed JSON ({} if empty)."""
        res = self.run(*args, with_endpoint_env=with_endpoint_env)
        if res.returncode != 0:
            raise AssertionError(
                f"aws {' '.join(args)} exited {res.returncode}\nstderr: {res.stderr}\nstdout: {res.stdout}"
            )
        return json.loads(res.stdout) if res.stdout.strip() else {}

    def fail(self, *args: str) -> str:
        """Run ``aws <args>``; assert a non-zero exit and return stderr."""
        res = self.run(*args)
        if res.returncode == 0:
            raise AssertionError(f"aws {' '.join(args)} unexpectedly succeeded: {res.stdout}")
        return res.stderr


def kms_client(
    server: KmsdServer,
    *,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
    parameter_validation: bool = True,
    signature_version: Any = None,
) -> Any:
    """A boto3 KMS client for ``server`` (rebuild it after a restart: the port may change)."""
    config_kwargs: dict[str, Any] = {
        "retries": {"max_attempts": 1, "mode": "standard"},
        "parameter_validation": parameter_validation,
        "connect_timeout": 5,
        "read_timeout": 30,
    }
    if signature_version is not None:
        config_kwargs["signature_version"] = signature_version
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=REGION,
    )
    return session.client(
        "kms",
        endpoint_url=server.endpoint,
        config=botocore.config.Config(**config_kwargs),
    )


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def assert_client_error(err: ClientError, code: str, status: int = 400) -> None:
    """The error has exactly ``code`` and HTTP status ``status``."""
    got = error_code(err)
    meta = err.response.get("ResponseMetadata", {})
    assert got == code, f"expected {code}, got {got}: {err.response.get('Error')}"
    assert meta.get("HTTPStatusCode") == status, f"expected HTTP {status} for {code}, got {meta.get('HTTPStatusCode')}"
    message = err.response.get("Error", {}).get("Message")
    assert isinstance(message, str), f"{code} has no message member: {err.response}"
    # Real KMS sends InvalidCiphertextException with an empty message; every other error explains itself.
    if code != "InvalidCiphertextException":
        assert message, f"{code} has an empty message: {err.response}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def flip_byte(blob: bytes, index: int) -> bytes:
    out = bytearray(blob)
    out[index] ^= 0x01
    return bytes(out)


def tags_to_dict(tags: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in tags}


# =============================================================================================
# Identity: accounts, credentials, IAM/STS clients
# =============================================================================================

IAM_STS_REGION = "us-east-1"  # IAM and STS sign with us-east-1 whatever the KMS region
ACCESS_KEY_ID_RE = re.compile(r"^AKIA[A-Z0-9]{16}$")
SESSION_ACCESS_KEY_ID_RE = re.compile(r"^ASIA[A-Z0-9]{16}$")


@dataclass(frozen=True)
class Credentials:
    """One access key pair, with the session token of a role session if it is one."""

    access_key: str
    secret_key: str
    session_token: str | None = None

    @classmethod
    def from_access_key(cls, access_key: Mapping[str, Any]) -> Credentials:
        """From CreateAccessKey's ``AccessKey`` member."""
        return cls(str(access_key["AccessKeyId"]), str(access_key["SecretAccessKey"]))

    @classmethod
    def from_sts(cls, credentials: Mapping[str, Any]) -> Credentials:
        """From AssumeRole's ``Credentials`` member."""
        return cls(
            str(credentials["AccessKeyId"]),
            str(credentials["SecretAccessKey"]),
            str(credentials["SessionToken"]),
        )

    def env(self) -> dict[str, str]:
        """The AWS_* variables that make the CLI sign with these credentials."""
        out = {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}
        if self.session_token is not None:
            out["AWS_SESSION_TOKEN"] = self.session_token
        return out


@dataclass(frozen=True)
class Account:
    """An account kmsd serves, with its root credentials."""

    id: str
    root_access_key_id: str
    root_secret_access_key: str

    @property
    def root(self) -> Credentials:
        return Credentials(self.root_access_key_id, self.root_secret_access_key)

    @property
    def root_arn(self) -> str:
        return f"arn:aws:iam::{self.id}:root"

    def user_arn(self, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.id}:user{path}{name}"

    def group_arn(self, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.id}:group{path}{name}"

    def role_arn(self, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.id}:role{path}{name}"

    def policy_arn(self, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.id}:policy{path}{name}"

    def assumed_role_arn(self, role: str, session: str) -> str:
        return f"arn:aws:sts::{self.id}:assumed-role/{role}/{session}"

    def key_arn_prefix(self, region: str = REGION) -> str:
        return f"arn:aws:kms:{region}:{self.id}:key/"


# The dev account (always present with --dev) and two extra ones for cross-account tests.
DEV_ACCOUNT = Account(ACCOUNT_ID, ACCESS_KEY, SECRET_KEY)
SECOND_ACCOUNT = Account(
    "098765432109",
    "AKIA0987654321ROOT01",
    "rootsecret0987654321rootsecret0987654321",
)
THIRD_ACCOUNT = Account(
    "444455556666",
    "AKIA4444555566660001",
    "thirdroot4444555566660001thirdroot444455",
)


def accounts_config_toml(accounts: Sequence[Account]) -> str:
    """``[[accounts]]`` tables for ``kmsd serve --config``."""
    parts = []
    for a in accounts:
        parts.append(
            "[[accounts]]\n"
            f'id = "{a.id}"\n'
            f'root_access_key_id = "{a.root_access_key_id}"\n'
            f'root_secret_access_key = "{a.root_secret_access_key}"\n'
        )
    return "\n".join(parts)


def write_accounts_config(path: Path, accounts: Sequence[Account]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(accounts_config_toml(accounts))
    return path


def aws_client(
    server: KmsdServer,
    service: str,
    credentials: Credentials | None = None,
    *,
    parameter_validation: bool = True,
    region: str | None = None,
) -> Any:
    """A boto3 client of ``service`` (``iam``, ``sts``, ``kms``) for ``server`` signing as ``credentials``.

    The default credentials are the dev account's root (test/test). IAM and STS sign with us-east-1.
    """
    creds = credentials if credentials is not None else DEV_ACCOUNT.root
    if region is None:
        region = IAM_STS_REGION if service in ("iam", "sts") else REGION
    session = boto3.session.Session(
        aws_access_key_id=creds.access_key,
        aws_secret_access_key=creds.secret_key,
        aws_session_token=creds.session_token,
        region_name=region,
    )
    return session.client(
        service,
        endpoint_url=server.endpoint,
        config=botocore.config.Config(
            retries={"max_attempts": 1, "mode": "standard"},
            parameter_validation=parameter_validation,
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def http_status(err: ClientError) -> int | None:
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


class IdentityCli(AwsCli):
    """The AWS CLI with ``iam``, ``sts`` and ``kms`` all pointed at kmsd, signing as ``credentials``.

    ``as_(credentials)`` gives the same CLI for another principal (a user's access key, a role
    session's temporary credentials with their session token).
    """

    def __init__(self, server: KmsdServer, config_dir: Path, credentials: Credentials | None = None) -> None:
        super().__init__(server, config_dir)
        self.credentials = credentials if credentials is not None else DEV_ACCOUNT.root

    def as_(self, credentials: Credentials) -> IdentityCli:
        return IdentityCli(self.server, self.config_dir, credentials)

    def env(self, with_endpoint_env: bool = True) -> dict[str, str]:
        env = super().env(with_endpoint_env)
        env.update(self.credentials.env())
        if with_endpoint_env:
            env["AWS_ENDPOINT_URL_IAM"] = self.server.endpoint
            env["AWS_ENDPOINT_URL_STS"] = self.server.endpoint
        return env
