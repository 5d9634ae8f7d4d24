"""The audit trail through CloudTrail's ``LookupEvents``: the real ``aws cloudtrail lookup-events`` (CLI v1)
and boto3's ``cloudtrail`` client against kmsd.

Every KMS, IAM and STS call is an event; ``LookupEvents`` finds them by EventName, ResourceName,
ResourceType, Username, AccessKeyId, ReadOnly and EventId, within StartTime / EndTime, newest first, a
page of MaxResults at a time with NextToken. Each account sees only its own events (a call on another
account's key is in both), and an IAM user needs ``cloudtrail:LookupEvents``.

One two-account server for the module (``two_account_kmsd``): tests share it, so each works on keys and
users of its own and filters on them.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from kmsd_harness import (
    DEV_ACCOUNT,
    SECOND_ACCOUNT,
    Credentials,
    IdentityCli,
    KmsdServer,
    assert_client_error,
    aws_client,
)

KEY_TYPE = "AWS::KMS::Key"


def uname(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class TrailCli(IdentityCli):
    """The identity CLI with ``cloudtrail`` pointed at kmsd too."""

    def as_(self, credentials: Credentials) -> TrailCli:
        return TrailCli(self.server, self.config_dir, credentials)

    def env(self, with_endpoint_env: bool = True) -> dict[str, str]:
        env = super().env(with_endpoint_env)
        if with_endpoint_env:
            env["AWS_ENDPOINT_URL_CLOUDTRAIL"] = self.server.endpoint
        return env


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(two_account_kmsd: KmsdServer) -> KmsdServer:
    return two_account_kmsd


@pytest.fixture(scope="module")
def kms(server: KmsdServer) -> Any:
    return aws_client(server, "kms")


@pytest.fixture(scope="module")
def kms2(server: KmsdServer) -> Any:
    return aws_client(server, "kms", SECOND_ACCOUNT.root)


@pytest.fixture(scope="module")
def iam(server: KmsdServer) -> Any:
    return aws_client(server, "iam")


@pytest.fixture(scope="module")
def trail(server: KmsdServer) -> Any:
    """boto3 CloudTrail as the dev account's root."""
    return aws_client(server, "cloudtrail")


@pytest.fixture(scope="module")
def trail_nv(server: KmsdServer) -> Any:
    """boto3 CloudTrail without client-side validation (to send out-of-range values)."""
    return aws_client(server, "cloudtrail", parameter_validation=False)


@pytest.fixture(scope="module")
def trail2(server: KmsdServer) -> Any:
    """boto3 CloudTrail as the root of 098765432109."""
    return aws_client(server, "cloudtrail", SECOND_ACCOUNT.root)


@pytest.fixture(scope="module")
def cli(server: KmsdServer, tmp_path_factory: pytest.TempPathFactory) -> TrailCli:
    return TrailCli(server, tmp_path_factory.mktemp("aws-trail-cli-config"))


def new_user(iam: Any, prefix: str, actions: list[str]) -> tuple[str, Credentials]:
    name = uname(prefix)
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, Credentials.from_access_key(key)


def lookup_all(trail: Any, **params: Any) -> list[dict[str, Any]]:
    """Every page of a lookup, through boto3's paginator."""
    events: list[dict[str, Any]] = []
    for page in trail.get_paginator("lookup_events").paginate(**params):
        events.extend(page["Events"])
    return events


def by(key: str, value: str) -> list[dict[str, str]]:
    return [{"AttributeKey": key, "AttributeValue": value}]


def request_ids(events: list[dict[str, Any]]) -> list[str]:
    return [json.loads(e["CloudTrailEvent"])["requestID"] for e in events]


def keyed_calls(kms: Any, encrypts: int) -> tuple[dict[str, Any], list[str]]:
    """A new key and ``encrypts`` Encrypt calls with it; returns its metadata and every call's request id."""
    created = kms.create_key(Description="audit lookups")
    metadata = created["KeyMetadata"]
    ids = [created["ResponseMetadata"]["RequestId"]]
    for i in range(encrypts):
        out = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=f"event {i}".encode())
        ids.append(out["ResponseMetadata"]["RequestId"])
    return metadata, ids


# --- the CLI ---------------------------------------------------------------------------------------


def test_cli_lookup_by_resource_name_is_newest_first_with_cloudtrail_records(cli: TrailCli, kms: Any) -> None:
    metadata, ids = keyed_calls(kms, 3)
    out = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        f"AttributeKey=ResourceName,AttributeValue={metadata['KeyId']}",
    )
    events = out["Events"]
    assert [e["EventName"] for e in events] == ["Encrypt", "Encrypt", "Encrypt", "CreateKey"]
    assert request_ids(events) == list(reversed(ids))
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)
    for event in events:
        assert event["EventSource"] == "kms.amazonaws.com"
        assert event["Username"] == "root"
        assert event["AccessKeyId"] == DEV_ACCOUNT.root_access_key_id
        assert event["Resources"] == [{"ResourceType": KEY_TYPE, "ResourceName": metadata["Arn"]}]
        record = json.loads(event["CloudTrailEvent"])
        assert record["eventID"] == event["EventId"]
        assert record["eventName"] == event["EventName"]
        assert record["eventVersion"] == "1.08"
        assert record["eventType"] == "AwsApiCall"
        assert record["recipientAccountId"] == DEV_ACCOUNT.id
        assert record["userIdentity"]["type"] == "Root"
        assert record["userIdentity"]["arn"] == DEV_ACCOUNT.root_arn
        assert record["resources"] == [{"accountId": DEV_ACCOUNT.id, "type": KEY_TYPE, "ARN": metadata["Arn"]}]
    encrypt = json.loads(events[0]["CloudTrailEvent"])
    assert encrypt["readOnly"] is True
    assert encrypt["responseElements"] is None
    assert "plaintext" not in encrypt["requestParameters"]
    assert events[0]["ReadOnly"] == "true"
    assert events[-1]["ReadOnly"] == "false"
    # The full ARN names the key as well as its id.
    by_arn = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        f"AttributeKey=ResourceName,AttributeValue={metadata['Arn']}",
    )
    assert [e["EventId"] for e in by_arn["Events"]] == [e["EventId"] for e in events]


def test_cli_pages_with_max_items_and_starting_token(cli: TrailCli, kms: Any) -> None:
    metadata, ids = keyed_calls(kms, 4)
    attribute = f"AttributeKey=ResourceName,AttributeValue={metadata['KeyId']}"
    first = cli("cloudtrail", "lookup-events", "--lookup-attributes", attribute, "--max-items", "2")
    assert len(first["Events"]) == 2
    assert first.get("NextToken")
    rest = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        attribute,
        "--max-items",
        "10",
        "--starting-token",
        first["NextToken"],
    )
    assert "NextToken" not in rest
    assert request_ids(first["Events"] + rest["Events"]) == list(reversed(ids))


def test_cli_event_name_and_time_range(cli: TrailCli, kms: Any) -> None:
    metadata, ids = keyed_calls(kms, 0)
    out = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        "AttributeKey=EventName,AttributeValue=CreateKey",
        "--max-items",
        "50",
    )
    mine = [e for e in out["Events"] if e["Resources"] and e["Resources"][0]["ResourceName"] == metadata["Arn"]]
    assert len(mine) == 1, out
    assert all(e["EventName"] == "CreateKey" for e in out["Events"])
    record_time = datetime.datetime.strptime(
        json.loads(mine[0]["CloudTrailEvent"])["eventTime"], "%Y-%m-%dT%H:%M:%SZ"
    ).replace(tzinfo=datetime.timezone.utc)
    second = int(record_time.timestamp())
    attribute = f"AttributeKey=ResourceName,AttributeValue={metadata['KeyId']}"
    inside = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        attribute,
        "--start-time",
        str(second),
        "--end-time",
        str(second),
    )
    assert request_ids(inside["Events"]) == ids
    before = cli("cloudtrail", "lookup-events", "--lookup-attributes", attribute, "--end-time", str(second - 1))
    assert before["Events"] == []
    after = cli(
        "cloudtrail",
        "lookup-events",
        "--lookup-attributes",
        attribute,
        "--start-time",
        (record_time + datetime.timedelta(seconds=1)).isoformat(),
    )
    assert after["Events"] == []


def test_cli_refuses_an_iam_user_without_cloudtrail_lookup_events(cli: TrailCli, iam: Any) -> None:
    name, creds = new_user(iam, "no-trail", ["kms:ListKeys"])
    err = cli.as_(creds).fail("cloudtrail", "lookup-events", "--max-items", "1")
    assert "AccessDeniedException" in err, err
    assert "cloudtrail:LookupEvents" in err, err


# --- boto3 -----------------------------------------------------------------------------------------


def test_boto3_pages_with_max_results_and_next_token(trail: Any, kms: Any) -> None:
    metadata, ids = keyed_calls(kms, 7)
    seen: list[dict[str, Any]] = []
    token = None
    sizes = []
    while True:
        params: dict[str, Any] = {"LookupAttributes": by("ResourceName", metadata["KeyId"]), "MaxResults": 3}
        if token:
            params["NextToken"] = token
        page = trail.lookup_events(**params)
        sizes.append(len(page["Events"]))
        seen.extend(page["Events"])
        token = page.get("NextToken")
        if not token:
            break
    assert sizes == [3, 3, 2]
    assert request_ids(seen) == list(reversed(ids))
    assert len({e["EventId"] for e in seen}) == 8
    assert all(isinstance(e["EventTime"], datetime.datetime) for e in seen)
    # The paginator walks the same pages.
    assert [e["EventId"] for e in lookup_all(trail, LookupAttributes=by("ResourceName", metadata["KeyId"]))] == [
        e["EventId"] for e in seen
    ]


def test_boto3_lookup_by_event_id_read_only_and_resource_type(trail: Any, kms: Any) -> None:
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
    metadata, ids = keyed_calls(kms, 1)
    events = trail.lookup_events(LookupAttributes=by("ResourceName", metadata["KeyId"]))["Events"]
    create, encrypt = events[1], events[0]
    assert (create["EventName"], encrypt["EventName"]) == ("CreateKey", "Encrypt")

    one = trail.lookup_events(LookupAttributes=by("EventId", create["EventId"]))["Events"]
    assert [e["EventId"] for e in one] == [create["EventId"]]

    writes = lookup_all(trail, LookupAttributes=by("ReadOnly", "false"), StartTime=start)
    assert create["EventId"] in {e["EventId"] for e in writes}
    assert encrypt["EventId"] not in {e["EventId"] for e in writes}
    assert all(e["ReadOnly"] == "false" for e in writes)
    reads = lookup_all(trail, LookupAttributes=by("ReadOnly", "true"), StartTime=start)
    assert encrypt["EventId"] in {e["EventId"] for e in reads}
    assert all(e["ReadOnly"] == "true" for e in reads)

    keyed = lookup_all(trail, LookupAttributes=by("ResourceType", KEY_TYPE), StartTime=start)
    assert {create["EventId"], encrypt["EventId"]} <= {e["EventId"] for e in keyed}
    assert all(any(r["ResourceType"] == KEY_TYPE for r in e["Resources"]) for e in keyed)


def test_boto3_lookup_by_username_and_access_key_id(server: KmsdServer, trail: Any, iam: Any) -> None:
    name, creds = new_user(iam, "audited", ["kms:ListKeys", "kms:CreateKey", "cloudtrail:LookupEvents"])
    as_user = aws_client(server, "kms", creds)
    listed = as_user.list_keys()["ResponseMetadata"]["RequestId"]
    created = as_user.create_key()
    with pytest.raises(ClientError) as refused:
        as_user.disable_key(KeyId=created["KeyMetadata"]["KeyId"])
    assert_client_error(refused.value, "AccessDeniedException")
    denied = refused.value.response["ResponseMetadata"]["RequestId"]

    events = trail.lookup_events(LookupAttributes=by("Username", name))["Events"]
    assert request_ids(events) == [denied, created["ResponseMetadata"]["RequestId"], listed]
    assert [e["EventName"] for e in events] == ["DisableKey", "CreateKey", "ListKeys"]
    assert all(e["Username"] == name and e["AccessKeyId"] == creds.access_key for e in events)
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["errorCode"] == "AccessDeniedException"
    assert record["errorMessage"].startswith(f"User: {DEV_ACCOUNT.user_arn(name)} is not authorized")
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["userIdentity"]["userName"] == name

    by_key = trail.lookup_events(LookupAttributes=by("AccessKeyId", creds.access_key))["Events"]
    assert [e["EventId"] for e in by_key] == [e["EventId"] for e in events]

    # The user may look up its account's events itself (it has cloudtrail:LookupEvents).
    own = aws_client(server, "cloudtrail", creds).lookup_events(LookupAttributes=by("Username", name))["Events"]
    assert request_ids(own)[-3:] == request_ids(events)

    # The IAM calls that made the user are the root's, under iam.amazonaws.com.
    made = [
        e
        for e in trail.lookup_events(LookupAttributes=by("EventName", "CreateUser"))["Events"]
        if json.loads(e["CloudTrailEvent"])["requestParameters"] == {"userName": name}
    ]
    assert len(made) == 1
    assert made[0]["EventSource"] == "iam.amazonaws.com"
    assert made[0]["Username"] == "root"


def test_boto3_an_iam_user_without_the_permission_is_refused(server: KmsdServer, iam: Any) -> None:
    _, creds = new_user(iam, "blind", ["kms:*"])
    with pytest.raises(ClientError) as err:
        aws_client(server, "cloudtrail", creds).lookup_events(MaxResults=1)
    assert_client_error(err.value, "AccessDeniedException")
    assert "cloudtrail:LookupEvents" in err.value.response["Error"]["Message"]


def test_each_account_sees_only_its_own_events(trail: Any, trail2: Any, kms: Any, kms2: Any) -> None:
    mine, _ = keyed_calls(kms, 1)
    theirs, their_ids = keyed_calls(kms2, 1)
    assert trail.lookup_events(LookupAttributes=by("ResourceName", theirs["Arn"]))["Events"] == []
    assert trail2.lookup_events(LookupAttributes=by("ResourceName", mine["Arn"]))["Events"] == []
    seen = trail2.lookup_events(LookupAttributes=by("ResourceName", theirs["Arn"]))["Events"]
    assert request_ids(seen) == list(reversed(their_ids))
    my_event = trail.lookup_events(LookupAttributes=by("ResourceName", mine["Arn"]))["Events"][0]
    assert trail2.lookup_events(LookupAttributes=by("EventId", my_event["EventId"]))["Events"] == []
    for event in lookup_all(trail2, LookupAttributes=by("EventName", "CreateKey")):
        assert json.loads(event["CloudTrailEvent"])["recipientAccountId"] == SECOND_ACCOUNT.id


def test_a_call_on_another_accounts_key_is_in_both_trails(trail: Any, trail2: Any, kms: Any, kms2: Any) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": SECOND_ACCOUNT.root_arn}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": DEV_ACCOUNT.root_arn}, "Action": "kms:Encrypt", "Resource": "*"},
        ],
    }
    shared = kms2.create_key(Policy=json.dumps(policy))["KeyMetadata"]
    out = kms.encrypt(KeyId=shared["Arn"], Plaintext=b"cross-account")
    request_id = out["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as refused:
        kms.disable_key(KeyId=shared["Arn"])
    assert_client_error(refused.value, "AccessDeniedException")

    def records(client: Any) -> list[dict[str, Any]]:
        events = client.lookup_events(LookupAttributes=by("ResourceName", shared["Arn"]))["Events"]
        return [json.loads(e["CloudTrailEvent"]) for e in events]

    owner = records(trail2)
    caller = records(trail)
    assert [r["eventName"] for r in owner] == ["DisableKey", "Encrypt", "CreateKey"]
    assert [r["eventName"] for r in caller] == ["DisableKey", "Encrypt"]
    owner_encrypt, caller_encrypt = owner[1], caller[1]
    assert owner_encrypt["requestID"] == caller_encrypt["requestID"] == request_id
    assert owner_encrypt["sharedEventID"] == caller_encrypt["sharedEventID"]
    assert owner_encrypt["recipientAccountId"] == SECOND_ACCOUNT.id
    assert caller_encrypt["recipientAccountId"] == DEV_ACCOUNT.id
    assert owner_encrypt["userIdentity"]["accountId"] == DEV_ACCOUNT.id
    assert owner[0]["errorCode"] == "AccessDeniedException"


def test_iam_and_sts_calls_are_found(server: KmsdServer, trail: Any, trail2: Any, iam: Any) -> None:
    role = uname("audit-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": DEV_ACCOUNT.root_arn}, "Action": "sts:AssumeRole"}],
    }
    aws_client(server, "iam", SECOND_ACCOUNT.root).create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps(trust)
    )
    session = uname("s")
    # Roots may not assume roles: a user of the dev account that may.
    _, assumer = new_user(iam, "assumer", ["sts:AssumeRole"])
    sts = aws_client(server, "sts", assumer)
    out = sts.assume_role(RoleArn=SECOND_ACCOUNT.role_arn(role), RoleSessionName=session)
    creds = Credentials.from_sts(out["Credentials"])
    aws_client(server, "sts", creds).get_caller_identity()

    # The session's own calls, in the role's account, under the session's name.
    events = trail2.lookup_events(LookupAttributes=by("Username", session))["Events"]
    assert [e["EventName"] for e in events] == ["GetCallerIdentity"]
    assert events[0]["EventSource"] == "sts.amazonaws.com"
    assert events[0]["AccessKeyId"] == creds.access_key
    identity = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == SECOND_ACCOUNT.role_arn(role)

    # AssumeRole itself: in the caller's trail and the role owner's, the role as its resource.
    for client in (trail, trail2):
        events = client.lookup_events(LookupAttributes=by("ResourceName", SECOND_ACCOUNT.role_arn(role)))["Events"]
        found = [e for e in events if e["EventName"] == "AssumeRole"]
        assert len(found) == 1
        role_resource = {"ResourceType": "AWS::IAM::Role", "ResourceName": SECOND_ACCOUNT.role_arn(role)}
        assert found[0]["Resources"] == [role_resource]
        record = json.loads(found[0]["CloudTrailEvent"])
        assert record["responseElements"]["credentials"]["accessKeyId"] == creds.access_key
        text = found[0]["CloudTrailEvent"]
        assert creds.secret_key not in text
        assert creds.session_token is not None and creds.session_token not in text


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"StartTime": 2_000_000_000, "EndTime": 1_000_000_000}, "InvalidTimeRangeException"),
        ({"MaxResults": 51}, "InvalidMaxResultsException"),
        ({"MaxResults": 0}, "InvalidMaxResultsException"),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"LookupAttributes": by("EventName", "Encrypt") + by("Username", "root")}, "InvalidLookupAttributesException"),
        ({"LookupAttributes": by("NoSuchAttribute", "x")}, "InvalidLookupAttributesException"),
        ({"EventCategory": "management"}, "InvalidEventCategoryException"),
    ],
)
def test_invalid_lookups_are_refused_with_cloudtrail_error_codes(
    trail_nv: Any, params: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as err:
        trail_nv.lookup_events(**params)
    assert_client_error(err.value, code)


def test_a_next_token_belongs_to_its_query(trail: Any, kms: Any) -> None:
    metadata, _ = keyed_calls(kms, 2)
    page = trail.lookup_events(LookupAttributes=by("ResourceName", metadata["KeyId"]), MaxResults=1)
    with pytest.raises(ClientError) as err:
        trail.lookup_events(LookupAttributes=by("EventName", "Encrypt"), NextToken=page["NextToken"], MaxResults=1)
    assert_client_error(err.value, "InvalidNextTokenException")


def test_insight_events_are_none(trail: Any) -> None:
    assert trail.lookup_events(EventCategory="insight")["Events"] == []


def test_lookups_are_audited_too(trail: Any) -> None:
    marker = uname("marker")
    first = trail.lookup_events(LookupAttributes=by("Username", marker))
    assert first["Events"] == []
    request_id = first["ResponseMetadata"]["RequestId"]
    found = [
        json.loads(e["CloudTrailEvent"])
        for e in trail.lookup_events(LookupAttributes=by("EventName", "LookupEvents"), MaxResults=50)["Events"]
    ]
    mine = [r for r in found if r["requestID"] == request_id]
    assert len(mine) == 1
    assert mine[0]["eventSource"] == "cloudtrail.amazonaws.com"
    assert mine[0]["readOnly"] is True
    assert mine[0]["requestParameters"]["lookupAttributes"] == [{"attributeKey": "Username", "attributeValue": marker}]
