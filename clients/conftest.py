"""pytest fixtures for the kmsd client-compatibility suite.

* ``kmsd``          one shared dev-mode server for the whole session (tests that need no isolation)
* ``private_kmsd``  a fresh server in its own data dir for one test (restarts, clock changes)
* ``aws`` / ``aws_fail``  the AWS CLI v1 bound to the shared server
* ``kms``           a boto3 KMS client for the shared server; ``make_kms_client`` builds others
* ``create_key``    CreateKey through ``kms``, returning KeyMetadata
* ``kmsd_factory``  (module) starts servers with extra accounts (``--config``), stopped after the module
* ``two_account_kmsd``  (module) a server serving the dev account and 098765432109
* ``make_aws_client``  ``(server, service, credentials=None, ...)``: boto3 IAM/STS/KMS clients
* ``make_identity_cli``  ``(server, credentials=None)``: the AWS CLI with iam/sts/kms pointed at kmsd

The server binary comes from $KMSD_BIN (default <repo>/target/debug/kmsd).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kmsd_harness import (
    SECOND_ACCOUNT,
    Account,
    AwsCli,
    Credentials,
    IdentityCli,
    KmsdError,
    KmsdServer,
    aws_client,
    isolated_aws_env,
    kms_client,
    kmsd_binary,
    write_accounts_config,
)


@pytest.fixture(scope="session", autouse=True)
def _isolate_aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the developer's AWS_* variables and ~/.aws out of boto3 in this process too."""
    mp = pytest.MonkeyPatch()
    for name in list(os.environ):
        if name.startswith(("AWS_", "BOTO_")):
            mp.delenv(name)
    for name, value in isolated_aws_env(tmp_path_factory.mktemp("aws-config"), endpoint=None).items():
        if name.startswith("AWS_"):
            mp.setenv(name, value)
    yield
    mp.undo()


def _start(tmp_path_factory: pytest.TempPathFactory, name: str) -> KmsdServer:
    server = KmsdServer(kmsd_binary(), tmp_path_factory.mktemp(name))
    server.start()
    return server


def _stop(server: KmsdServer) -> None:
    """Stop a fixture's server, checking the contract: SIGTERM exits 0, stdout holds one line per start."""
    if server.running:
        rc = server.stop()
        if rc != 0:
            raise KmsdError(f"kmsd exited with {rc} on SIGTERM, expected 0\n{server.log_tail()}")
    if server.extra_stdout:
        raise KmsdError(f"kmsd printed more than the listening line on stdout: {server.extra_stdout[:5]!r}")


@pytest.fixture(scope="session")
def kmsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmsdServer]:
    """The shared server. Do not restart it or move its clock: use ``private_kmsd`` for that."""
    server = _start(tmp_path_factory, "kmsd-shared")
    yield server
    _stop(server)


@pytest.fixture
def private_kmsd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmsdServer]:
    """A server of this test's own, stopped (and checked for exit code 0) afterwards."""
    server = _start(tmp_path_factory, "kmsd-private")
    yield server
    _stop(server)


@pytest.fixture(scope="session")
def aws(kmsd: KmsdServer, tmp_path_factory: pytest.TempPathFactory) -> AwsCli:
    """``aws(*args)`` runs ``aws <args> --output json`` and returns the parsed JSON."""
    return AwsCli(kmsd, tmp_path_factory.mktemp("aws-cli-config"))


@pytest.fixture(scope="session")
def aws_fail(aws: AwsCli) -> Callable[..., str]:
    """``aws_fail(*args)`` asserts a non-zero exit and returns stderr."""
    return aws.fail


@pytest.fixture(scope="session")
def make_kms_client() -> Callable[..., Any]:
    """``make_kms_client(server, access_key=..., secret_key=..., parameter_validation=...)``."""
    return kms_client


@pytest.fixture(scope="session")
def kms(kmsd: KmsdServer) -> Any:
    return kms_client(kmsd)


@pytest.fixture(scope="session")
def create_key(kms: Any) -> Callable[..., dict[str, Any]]:
    """``create_key(**CreateKey params) -> KeyMetadata`` on the shared server."""

    def _create(**params: Any) -> dict[str, Any]:
        params.setdefault("Description", "pytest key")
        metadata: dict[str, Any] = kms.create_key(**params)["KeyMetadata"]
        return metadata

    return _create


@pytest.fixture
def unique() -> Callable[[str], str]:
    """``unique('alias/x')`` -> ``alias/x-<hex>``: names that don't collide on the shared server."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- identity (IAM/STS) ------------------------------------------------------------------------

KmsdFactory = Callable[..., KmsdServer]


@pytest.fixture(scope="module")
def kmsd_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KmsdFactory]:
    """``kmsd_factory(name, accounts=())``: a dev-mode server of this module's own serving the dev
    account plus ``accounts`` (written to a TOML file passed as ``--config``); stopped, and checked
    like the other fixtures' servers, when the module ends."""
    servers: list[KmsdServer] = []

    def _make(name: str = "kmsd-identity", accounts: tuple[Account, ...] | list[Account] = ()) -> KmsdServer:
        work_dir = tmp_path_factory.mktemp(name)
        config = write_accounts_config(work_dir / "kmsd.toml", list(accounts)) if accounts else None
        server = KmsdServer(kmsd_binary(), work_dir, config_path=config)
        server.start()
        servers.append(server)
        return server

    yield _make
    errors = []
    for server in servers:
        try:
            _stop(server)
        except KmsdError as err:
            errors.append(err)
    if errors:
        raise errors[0]


@pytest.fixture(scope="module")
def two_account_kmsd(kmsd_factory: KmsdFactory) -> KmsdServer:
    """One server per module serving 111122223333 (root test/test) and 098765432109 (SECOND_ACCOUNT)."""
    return kmsd_factory("kmsd-two-accounts", accounts=(SECOND_ACCOUNT,))


@pytest.fixture(scope="session")
def make_aws_client() -> Callable[..., Any]:
    """``make_aws_client(server, "iam"|"sts"|"kms", credentials=None, parameter_validation=True)``."""
    return aws_client


@pytest.fixture(scope="session")
def make_identity_cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., IdentityCli]:
    """``make_identity_cli(server, credentials=None)``: ``cli(*args)`` runs ``aws <args>`` as those credentials."""
    config_dir = tmp_path_factory.mktemp("aws-identity-cli-config")

    def _make(server: KmsdServer, credentials: Credentials | None = None) -> IdentityCli:
        return IdentityCli(server, config_dir, credentials)

    return _make
