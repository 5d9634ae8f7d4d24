"""IAM and STS (AWS Query protocol) through boto3 against kmsd: the API surface, exact error codes and
HTTP statuses, SigV4 refusals, authorization by identity policies, and account separation.

One server per module (``two_account_kmsd``: the dev account 111122223333 and 098765432109); every test
names its entities uniquely so they share it. The one test that moves the clock has a server of its own.
Expected behaviour is AWS's (IAM API reference, botocore's iam/2010-05-08 and sts/2011-06-15 models).
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from kmsd_harness import (
    ACCESS_KEY_ID_RE,
    DEV_ACCOUNT,
    SECOND_ACCOUNT,
    SESSION_ACCESS_KEY_ID_RE,
    Account,
    Credentials,
    KmsdServer,
    assert_client_error,
    aws_client,
)

DEV = DEV_ACCOUNT
SECOND = SECOND_ACCOUNT
# AWS unique ids: a 4-letter kind prefix and 17 more upper-case letters/digits (21 in all).
UNIQUE_ID_RE = {kind: re.compile(rf"^{kind}[A-Z0-9]{{17}}$") for kind in ("AIDA", "AGPA", "AROA", "ANPA")}


# --- helpers ---------------------------------------------------------------------------------


def uname(prefix: str) -> str:
    """A name no other test uses (IAM names are at most 64 characters)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def expect(code: str, status: int, call: Callable[..., Any], /, **params: Any) -> ClientError:
    """``call(**params)`` raises a ClientError with exactly ``code`` and HTTP ``status``."""
    with pytest.raises(ClientError) as info:
        call(**params)
    assert_client_error(info.value, code, status)
    return info.value


def message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", ""))


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def trust(*principals: str) -> dict[str, Any]:
    """A role trust policy letting ``principals`` (ARNs) call sts:AssumeRole."""
    aws = principals[0] if len(principals) == 1 else list(principals)
    return policy({"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"})


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def assert_recent(when: Any) -> None:
    assert isinstance(when, datetime.datetime), when
    assert when.tzinfo is not None, when
    assert abs((now() - when).total_seconds()) < 300, when


def assert_expires_in(expiration: Any, seconds: int) -> None:
    assert isinstance(expiration, datetime.datetime), expiration
    delta = (expiration - now()).total_seconds()
    assert abs(delta - seconds) < 120, f"Expiration {expiration} is {delta:.0f}s away, expected ~{seconds}s"


def pages(call: Callable[..., dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
    """Follow Marker/IsTruncated by hand and return every page."""
    out = []
    marker = None
    for _ in range(100):
        resp = call(**params, **({"Marker": marker} if marker else {}))
        out.append(resp)
        if not resp["IsTruncated"]:
            assert "Marker" not in resp, f"last page carries a Marker: {resp.get('Marker')!r}"
            return out
        marker = resp.get("Marker")
        assert marker, f"IsTruncated without a Marker: {resp}"
    raise AssertionError("more than 100 pages")


def names_of(items: Iterable[dict[str, Any]], member: str) -> list[str]:
    return [str(item[member]) for item in items]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(two_account_kmsd: KmsdServer) -> KmsdServer:
    return two_account_kmsd


@pytest.fixture(scope="module")
def iam(server: KmsdServer) -> Any:
    """IAM as the root of 111122223333."""
    return aws_client(server, "iam")


@pytest.fixture(scope="module")
def iam_nv(server: KmsdServer) -> Any:
    """IAM as the dev root without botocore's client-side ``min`` checks (to send out-of-range values)."""
    return aws_client(server, "iam", parameter_validation=False)


@pytest.fixture(scope="module")
def iam2(server: KmsdServer) -> Any:
    """IAM as the root of 098765432109."""
    return aws_client(server, "iam", SECOND.root)


@pytest.fixture(scope="module")
def as_(server: KmsdServer) -> Callable[..., Any]:
    """``as_(credentials, "sts"|"iam"|"kms", parameter_validation=True)``: a client signing as someone."""

    def _client(credentials: Credentials, service: str, parameter_validation: bool = True) -> Any:
        return aws_client(server, service, credentials, parameter_validation=parameter_validation)

    return _client


def new_user(iam: Any, prefix: str, *statements: dict[str, Any], path: str = "/") -> tuple[dict[str, Any], Credentials]:
    """A user with an access key and, if given, an inline policy of ``statements``."""
    user = iam.create_user(UserName=uname(prefix), Path=path)["User"]
    if statements:
        iam.put_user_policy(
            UserName=user["UserName"], PolicyName="inline", PolicyDocument=json.dumps(policy(*statements))
        )
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    return user, Credentials.from_access_key(key)


def new_role(
    iam: Any, prefix: str, trust_doc: dict[str, Any], *statements: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=uname(prefix), AssumeRolePolicyDocument=json.dumps(trust_doc), **extra
    )["Role"]
    if statements:
        iam.put_role_policy(
            RoleName=role["RoleName"], PolicyName="inline", PolicyDocument=json.dumps(policy(*statements))
        )
    return role


# =============================================================================================
# Users
# =============================================================================================


def test_create_user_returns_its_shape_and_get_user_the_same(iam: Any) -> None:
    name = uname("shape")
    resp = iam.create_user(UserName=name, Path="/eng/")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    user = resp["User"]
    assert user["UserName"] == name
    assert user["Path"] == "/eng/"
    assert user["Arn"] == DEV.user_arn(name, "/eng/")
    assert UNIQUE_ID_RE["AIDA"].match(user["UserId"]), user["UserId"]
    assert_recent(user["CreateDate"])
    got = iam.get_user(UserName=name)["User"]
    for member in ("UserName", "Path", "Arn", "UserId", "CreateDate"):
        assert got[member] == user[member], member


def test_create_user_defaults_to_the_root_path(iam: Any) -> None:
    name = uname("nopath")
    user = iam.create_user(UserName=name)["User"]
    assert user["Path"] == "/"
    assert user["Arn"] == DEV.user_arn(name)


def test_user_ids_are_distinct(iam: Any) -> None:
    ids = {iam.create_user(UserName=uname("ids"))["User"]["UserId"] for _ in range(3)}
    assert len(ids) == 3


def test_get_user_without_a_name_as_root_is_the_account_root(iam: Any) -> None:
    root = iam.get_user()["User"]
    assert root["Arn"] == DEV.root_arn
    assert root["UserId"] == DEV.id


def test_recreated_user_is_a_new_identity_and_old_keys_stay_dead(server: KmsdServer, iam: Any) -> None:
    user, creds = new_user(iam, "reborn")
    name = user["UserName"]
    iam.delete_access_key(UserName=name, AccessKeyId=creds.access_key)
    iam.delete_user(UserName=name)
    again = iam.create_user(UserName=name)["User"]
    assert again["Arn"] == user["Arn"]
    assert again["UserId"] != user["UserId"]
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    expect("InvalidClientTokenId", 403, aws_client(server, "sts", creds).get_caller_identity)


def test_get_user_without_a_name_is_the_calling_user(iam: Any, as_: Callable[..., Any]) -> None:
    user, creds = new_user(iam, "self", allow("iam:GetUser"))
    got = as_(creds, "iam").get_user()["User"]
    assert got["UserName"] == user["UserName"]
    assert got["Arn"] == user["Arn"]
    assert got["UserId"] == user["UserId"]


def test_policy_variable_aws_username_in_a_resource(iam: Any, as_: Callable[..., Any]) -> None:
    user, creds = new_user(iam, "pv", allow("iam:GetUser", f"arn:aws:iam::{DEV.id}:user/${{aws:username}}"))
    other = iam.create_user(UserName=uname("pv-other"))["User"]["UserName"]
    user_iam = as_(creds, "iam")
    assert user_iam.get_user(UserName=user["UserName"])["User"]["Arn"] == user["Arn"]
    expect("AccessDenied", 403, user_iam.get_user, UserName=other)


def test_create_user_twice_is_entity_already_exists_ignoring_case(iam: Any) -> None:
    name = uname("Dup")
    iam.create_user(UserName=name)
    err = expect("EntityAlreadyExists", 409, iam.create_user, UserName=name)
    assert name in message(err)
    # IAM names are unique without regard to case.
    expect("EntityAlreadyExists", 409, iam.create_user, UserName=name.upper())
    expect("EntityAlreadyExists", 409, iam.create_user, UserName=name.lower())


def test_missing_user_is_no_such_entity(iam: Any) -> None:
    ghost = uname("ghost")
    err = expect("NoSuchEntity", 404, iam.get_user, UserName=ghost)
    assert ghost in message(err)
    expect("NoSuchEntity", 404, iam.delete_user, UserName=ghost)
    expect("NoSuchEntity", 404, iam.create_access_key, UserName=ghost)
    expect("NoSuchEntity", 404, iam.list_access_keys, UserName=ghost)
    expect("NoSuchEntity", 404, iam.list_groups_for_user, UserName=ghost)
    expect("NoSuchEntity", 404, iam.list_user_policies, UserName=ghost)
    expect("NoSuchEntity", 404, iam.list_attached_user_policies, UserName=ghost)
    expect(
        "NoSuchEntity", 404, iam.put_user_policy,
        UserName=ghost, PolicyName="p", PolicyDocument=json.dumps(policy(allow("kms:Encrypt"))),
    )  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    ["has space", "slash/name", "star*", "colon:name", "u" * 65],
    ids=["space", "slash", "star", "colon", "65-chars"],
)
def test_invalid_user_names_are_validation_error(iam: Any, bad: str) -> None:
    expect("ValidationError", 400, iam.create_user, UserName=bad)


def test_user_name_of_64_allowed_characters_is_accepted(iam: Any) -> None:
    name = ("a+=,.@_-" + uuid.uuid4().hex)[:64].ljust(64, "z")
    assert iam.create_user(UserName=name)["User"]["UserName"] == name


@pytest.mark.parametrize(
    "bad", ["eng", "/eng", "eng/", "/a b/"], ids=["no-slashes", "no-trailing", "no-leading", "space"]
)
def test_invalid_paths_are_validation_error(iam: Any, bad: str) -> None:
    expect("ValidationError", 400, iam.create_user, UserName=uname("badpath"), Path=bad)


def test_max_items_over_1000_is_validation_error(iam: Any) -> None:
    expect("ValidationError", 400, iam.list_users, MaxItems=1001)


# =============================================================================================
# Listing: path prefix and paging, for users, groups and roles
# =============================================================================================

LISTS = {
    # kind: (create, list, list-member, name-member)
    "users": ("create_user", "list_users", "Users", "UserName"),
    "groups": ("create_group", "list_groups", "Groups", "GroupName"),
    "roles": ("create_role", "list_roles", "Roles", "RoleName"),
}


@pytest.mark.parametrize("kind", list(LISTS))
def test_list_filters_by_path_prefix_and_pages_with_max_items_and_marker(iam: Any, kind: str) -> None:
    create_op, list_op, member, name_member = LISTS[kind]
    create, list_call = getattr(iam, create_op), getattr(iam, list_op)
    extra = {"AssumeRolePolicyDocument": json.dumps(trust(DEV.root_arn))} if kind == "roles" else {}
    tag = uuid.uuid4().hex[:8]
    prefix = f"/pg{tag}/"
    top = [uname("pg") for _ in range(5)]
    for name in top:
        create(**{name_member: name, "Path": prefix}, **extra)
    nested = uname("pgsub")
    create(**{name_member: nested, "Path": f"{prefix}sub/"}, **extra)
    outside = uname("other")
    create(**{name_member: outside, "Path": f"/other{tag}/"}, **extra)

    whole = list_call(PathPrefix=prefix)
    assert whole["IsTruncated"] is False
    assert "Marker" not in whole
    assert sorted(names_of(whole[member], name_member)) == sorted([*top, nested])
    for item in whole[member]:
        assert item["Path"] in (prefix, f"{prefix}sub/")
        assert item["Arn"].endswith(f"{item['Path']}{item[name_member]}")
        assert_recent(item["CreateDate"])
    assert names_of(list_call(PathPrefix=f"{prefix}sub/")[member], name_member) == [nested]
    assert list_call(PathPrefix=f"/none{tag}/")[member] == []

    paged = pages(list_call, PathPrefix=prefix, MaxItems=2)
    assert [len(p[member]) for p in paged] == [2, 2, 2]
    assert [p["IsTruncated"] for p in paged] == [True, True, False]
    seen = [n for p in paged for n in names_of(p[member], name_member)]
    assert sorted(seen) == sorted([*top, nested]), "pages repeat or miss entries"

    # boto3's paginator (MaxItems/Marker under the hood) over everything finds both paths.
    paginator = iam.get_paginator(list_op)
    everything = [
        n for p in paginator.paginate(PaginationConfig={"PageSize": 3}) for n in names_of(p[member], name_member)
    ]
    assert len(everything) == len(set(everything))
    assert {*top, nested, outside} <= set(everything)


# =============================================================================================
# Access keys
# =============================================================================================


def test_create_access_key_shape_and_list_access_keys(iam: Any, as_: Callable[..., Any]) -> None:
    user = iam.create_user(UserName=uname("keys"))["User"]
    key = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    assert ACCESS_KEY_ID_RE.match(key["AccessKeyId"]), key["AccessKeyId"]
    assert isinstance(key["SecretAccessKey"], str) and len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active"
    assert key["UserName"] == user["UserName"]
    assert_recent(key["CreateDate"])
    listed = iam.list_access_keys(UserName=user["UserName"])
    assert listed["IsTruncated"] is False
    (meta,) = listed["AccessKeyMetadata"]
    assert meta["AccessKeyId"] == key["AccessKeyId"]
    assert meta["UserName"] == user["UserName"]
    assert meta["Status"] == "Active"
    assert "SecretAccessKey" not in meta
    assert_recent(meta["CreateDate"])
    # The new key signs requests at once; GetCallerIdentity needs no permission.
    ident = as_(Credentials.from_access_key(key), "sts").get_caller_identity()
    assert ident["Arn"] == user["Arn"]
    assert ident["Account"] == DEV.id
    assert ident["UserId"] == user["UserId"]


def test_access_key_ids_and_secrets_are_distinct(iam: Any) -> None:
    name = iam.create_user(UserName=uname("distinct"))["User"]["UserName"]
    first = iam.create_access_key(UserName=name)["AccessKey"]
    second = iam.create_access_key(UserName=name)["AccessKey"]
    assert first["AccessKeyId"] != second["AccessKeyId"]
    assert first["SecretAccessKey"] != second["SecretAccessKey"]
    listed = {k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}
    assert listed == {first["AccessKeyId"], second["AccessKeyId"]}


def test_third_access_key_is_limit_exceeded(iam: Any) -> None:
    name = iam.create_user(UserName=uname("limit"))["User"]["UserName"]
    iam.create_access_key(UserName=name)
    iam.create_access_key(UserName=name)
    expect("LimitExceeded", 409, iam.create_access_key, UserName=name)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 2


def test_inactive_key_is_refused_at_once_active_again_works_deleted_is_refused(
    iam: Any, as_: Callable[..., Any]
) -> None:
    user, creds = new_user(iam, "toggle", allow(["iam:ListUsers", "kms:ListKeys"]))
    name = user["UserName"]
    sts, user_iam, user_kms = as_(creds, "sts"), as_(creds, "iam"), as_(creds, "kms")
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    user_kms.list_keys()

    iam.update_access_key(UserName=name, AccessKeyId=creds.access_key, Status="Inactive")
    (meta,) = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert meta["Status"] == "Inactive"
    expect("InvalidClientTokenId", 403, sts.get_caller_identity)
    expect("InvalidClientTokenId", 403, user_iam.list_users)
    expect("UnrecognizedClientException", 400, user_kms.list_keys)

    iam.update_access_key(UserName=name, AccessKeyId=creds.access_key, Status="Active")
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    user_iam.list_users(MaxItems=1)
    user_kms.list_keys(Limit=1)

    iam.delete_access_key(UserName=name, AccessKeyId=creds.access_key)
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    expect("InvalidClientTokenId", 403, sts.get_caller_identity)
    expect("InvalidClientTokenId", 403, user_iam.list_users)
    expect("UnrecognizedClientException", 400, user_kms.list_keys)
    expect("NoSuchEntity", 404, iam.delete_access_key, UserName=name, AccessKeyId=creds.access_key)
    expect("NoSuchEntity", 404, iam.update_access_key, UserName=name, AccessKeyId=creds.access_key, Status="Active")


def test_access_key_of_another_user_is_no_such_entity(iam: Any) -> None:
    owner, creds = new_user(iam, "owner")
    other = iam.create_user(UserName=uname("other"))["User"]["UserName"]
    expect("NoSuchEntity", 404, iam.delete_access_key, UserName=other, AccessKeyId=creds.access_key)
    expect("NoSuchEntity", 404, iam.update_access_key, UserName=other, AccessKeyId=creds.access_key, Status="Inactive")
    (meta,) = iam.list_access_keys(UserName=owner["UserName"])["AccessKeyMetadata"]
    assert meta["Status"] == "Active"


def test_update_access_key_with_unknown_status_is_validation_error(iam: Any) -> None:
    user, creds = new_user(iam, "status")
    expect(
        "ValidationError", 400, iam.update_access_key,
        UserName=user["UserName"], AccessKeyId=creds.access_key, Status="Paused",
    )  # fmt: skip


# =============================================================================================
# Groups
# =============================================================================================


def test_group_shape_membership_listing_and_delete_order(iam: Any) -> None:
    gname = uname("grp")
    group = iam.create_group(GroupName=gname, Path="/teams/")["Group"]
    assert group["GroupName"] == gname
    assert group["Path"] == "/teams/"
    assert group["Arn"] == DEV.group_arn(gname, "/teams/")
    assert UNIQUE_ID_RE["AGPA"].match(group["GroupId"]), group["GroupId"]
    assert_recent(group["CreateDate"])
    expect("EntityAlreadyExists", 409, iam.create_group, GroupName=gname)

    u1 = iam.create_user(UserName=uname("m1"))["User"]["UserName"]
    u2 = iam.create_user(UserName=uname("m2"))["User"]["UserName"]
    got = iam.get_group(GroupName=gname)
    assert got["Users"] == []
    assert got["Group"]["Arn"] == group["Arn"] and got["Group"]["GroupId"] == group["GroupId"]
    iam.add_user_to_group(GroupName=gname, UserName=u1)
    iam.add_user_to_group(GroupName=gname, UserName=u2)
    got = iam.get_group(GroupName=gname)
    assert got["IsTruncated"] is False
    assert sorted(names_of(got["Users"], "UserName")) == sorted([u1, u2])
    for member in got["Users"]:
        assert member["Arn"] == DEV.user_arn(member["UserName"])
    (only,) = iam.list_groups_for_user(UserName=u1)["Groups"]
    assert only["GroupName"] == gname and only["Arn"] == group["Arn"]

    expect("DeleteConflict", 409, iam.delete_group, GroupName=gname)
    expect("DeleteConflict", 409, iam.delete_user, UserName=u2)
    iam.remove_user_from_group(GroupName=gname, UserName=u1)
    assert names_of(iam.get_group(GroupName=gname)["Users"], "UserName") == [u2]
    assert iam.list_groups_for_user(UserName=u1)["Groups"] == []
    iam.remove_user_from_group(GroupName=gname, UserName=u2)
    iam.delete_user(UserName=u2)
    iam.delete_group(GroupName=gname)
    expect("NoSuchEntity", 404, iam.get_group, GroupName=gname)
    assert iam.list_groups_for_user(UserName=u1)["Groups"] == []


def test_get_group_pages_its_members(iam: Any) -> None:
    gname = iam.create_group(GroupName=uname("gpage"))["Group"]["GroupName"]
    members = [iam.create_user(UserName=uname("gm"))["User"]["UserName"] for _ in range(3)]
    for name in members:
        iam.add_user_to_group(GroupName=gname, UserName=name)
    paged = pages(iam.get_group, GroupName=gname, MaxItems=2)
    assert [len(p["Users"]) for p in paged] == [2, 1]
    assert sorted(n for p in paged for n in names_of(p["Users"], "UserName")) == sorted(members)
    assert all(p["Group"]["GroupName"] == gname for p in paged)


def test_missing_group_or_member_is_no_such_entity(iam: Any) -> None:
    gname = iam.create_group(GroupName=uname("g"))["Group"]["GroupName"]
    user = iam.create_user(UserName=uname("u"))["User"]["UserName"]
    ghost = uname("ghost")
    expect("NoSuchEntity", 404, iam.get_group, GroupName=ghost)
    expect("NoSuchEntity", 404, iam.delete_group, GroupName=ghost)
    expect("NoSuchEntity", 404, iam.add_user_to_group, GroupName=ghost, UserName=user)
    expect("NoSuchEntity", 404, iam.add_user_to_group, GroupName=gname, UserName=ghost)
    expect("NoSuchEntity", 404, iam.remove_user_from_group, GroupName=ghost, UserName=user)
    expect("NoSuchEntity", 404, iam.list_attached_group_policies, GroupName=ghost)
    assert iam.get_group(GroupName=gname)["Users"] == []


def test_invalid_group_name_is_validation_error(iam: Any) -> None:
    expect("ValidationError", 400, iam.create_group, GroupName="bad group")
    expect("ValidationError", 400, iam.create_group, GroupName="g" * 129)


def test_group_with_policies_is_delete_conflict(iam: Any) -> None:
    gname = iam.create_group(GroupName=uname("gpol"))["Group"]["GroupName"]
    iam.put_group_policy(GroupName=gname, PolicyName="p", PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))
    expect("DeleteConflict", 409, iam.delete_group, GroupName=gname)
    iam.delete_group_policy(GroupName=gname, PolicyName="p")
    arn = iam.create_policy(PolicyName=uname("gmp"), PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))[
        "Policy"
    ]["Arn"]
    iam.attach_group_policy(GroupName=gname, PolicyArn=arn)
    expect("DeleteConflict", 409, iam.delete_group, GroupName=gname)
    iam.detach_group_policy(GroupName=gname, PolicyArn=arn)
    iam.delete_group(GroupName=gname)
    expect("NoSuchEntity", 404, iam.get_group, GroupName=gname)


# =============================================================================================
# Roles
# =============================================================================================


def test_role_shape_trust_policy_round_trip_and_update(iam: Any) -> None:
    rname = uname("role")
    trust_doc = trust(DEV.root_arn)
    role = iam.create_role(
        RoleName=rname, Path="/svc/", AssumeRolePolicyDocument=json.dumps(trust_doc), Description="for tests"
    )["Role"]
    assert role["RoleName"] == rname
    assert role["Path"] == "/svc/"
    assert role["Arn"] == DEV.role_arn(rname, "/svc/")
    assert UNIQUE_ID_RE["AROA"].match(role["RoleId"]), role["RoleId"]
    assert_recent(role["CreateDate"])
    assert role["AssumeRolePolicyDocument"] == trust_doc  # botocore URL-decodes and parses it

    got = iam.get_role(RoleName=rname)["Role"]
    for member in ("RoleName", "Path", "Arn", "RoleId", "CreateDate"):
        assert got[member] == role[member], member
    assert got["AssumeRolePolicyDocument"] == trust_doc
    assert got["MaxSessionDuration"] == 3600
    assert got["Description"] == "for tests"

    # Trust policies may only name principals that exist.
    user_arn = DEV.user_arn(make_owner(iam, "user"))
    iam.update_assume_role_policy(RoleName=rname, PolicyDocument=json.dumps(trust(user_arn)))
    assert iam.get_role(RoleName=rname)["Role"]["AssumeRolePolicyDocument"] == trust(user_arn)
    expect("MalformedPolicyDocument", 400, iam.update_assume_role_policy, RoleName=rname, PolicyDocument="{nope")
    assert iam.get_role(RoleName=rname)["Role"]["AssumeRolePolicyDocument"] == trust(user_arn)
    expect(
        "EntityAlreadyExists", 409, iam.create_role,
        RoleName=rname, AssumeRolePolicyDocument=json.dumps(trust_doc),
    )  # fmt: skip


def test_missing_role_is_no_such_entity(iam: Any) -> None:
    ghost = uname("ghost")
    expect("NoSuchEntity", 404, iam.get_role, RoleName=ghost)
    expect("NoSuchEntity", 404, iam.delete_role, RoleName=ghost)
    expect(
        "NoSuchEntity", 404, iam.update_assume_role_policy,
        RoleName=ghost, PolicyDocument=json.dumps(trust(DEV.root_arn)),
    )  # fmt: skip
    expect("NoSuchEntity", 404, iam.list_role_policies, RoleName=ghost)
    expect("NoSuchEntity", 404, iam.list_attached_role_policies, RoleName=ghost)


def test_role_max_session_duration_range(iam: Any, iam_nv: Any) -> None:
    doc = json.dumps(trust(DEV.root_arn))
    long = uname("long")
    iam.create_role(RoleName=long, AssumeRolePolicyDocument=doc, MaxSessionDuration=43200)
    assert iam.get_role(RoleName=long)["Role"]["MaxSessionDuration"] == 43200
    expect(
        "ValidationError",
        400,
        iam_nv.create_role,
        RoleName=uname("short"),
        AssumeRolePolicyDocument=doc,
        MaxSessionDuration=3599,
    )
    expect(
        "ValidationError",
        400,
        iam.create_role,
        RoleName=uname("over"),
        AssumeRolePolicyDocument=doc,
        MaxSessionDuration=43201,
    )


@pytest.mark.parametrize(
    "doc",
    [
        "{not json",
        json.dumps(policy({"Effect": "Allow", "Action": "sts:AssumeRole"})),
        json.dumps({"Version": "2012-10-17"}),
        # AWS: "Has prohibited field Resource" (a trust policy's resource is the role itself).
        json.dumps(
            policy({"Effect": "Allow", "Principal": {"AWS": DEV.root_arn}, "Action": "sts:AssumeRole", "Resource": "*"})
        ),
        # AWS: "Invalid principal in policy": a named IAM user must exist.
        json.dumps(trust(DEV.user_arn("never-created-user"))),
    ],
    ids=["bad-json", "no-principal", "no-statement", "resource", "missing-principal"],
)
def test_malformed_trust_policy_is_refused(iam: Any, doc: str) -> None:
    rname = uname("badtrust")
    expect("MalformedPolicyDocument", 400, iam.create_role, RoleName=rname, AssumeRolePolicyDocument=doc)
    expect("NoSuchEntity", 404, iam.get_role, RoleName=rname)


def test_invalid_role_name_is_validation_error(iam: Any) -> None:
    doc = json.dumps(trust(DEV.root_arn))
    expect("ValidationError", 400, iam.create_role, RoleName="bad role", AssumeRolePolicyDocument=doc)
    expect("ValidationError", 400, iam.create_role, RoleName="r" * 65, AssumeRolePolicyDocument=doc)


def test_role_with_policies_is_delete_conflict(iam: Any) -> None:
    role = new_role(iam, "rdel", trust(DEV.root_arn), allow("kms:ListKeys"))
    rname = role["RoleName"]
    expect("DeleteConflict", 409, iam.delete_role, RoleName=rname)
    iam.delete_role_policy(RoleName=rname, PolicyName="inline")
    arn = iam.create_policy(PolicyName=uname("rmp"), PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))[
        "Policy"
    ]["Arn"]
    iam.attach_role_policy(RoleName=rname, PolicyArn=arn)
    expect("DeleteConflict", 409, iam.delete_role, RoleName=rname)
    iam.detach_role_policy(RoleName=rname, PolicyArn=arn)
    iam.delete_role(RoleName=rname)
    expect("NoSuchEntity", 404, iam.get_role, RoleName=rname)


# =============================================================================================
# Inline policies (users, groups, roles)
# =============================================================================================

INLINE = {
    # kind: (create-owner, name member, put, get, list, delete)
    "user": ("UserName", "put_user_policy", "get_user_policy", "list_user_policies", "delete_user_policy"),
    "group": ("GroupName", "put_group_policy", "get_group_policy", "list_group_policies", "delete_group_policy"),
    "role": ("RoleName", "put_role_policy", "get_role_policy", "list_role_policies", "delete_role_policy"),
}


def make_owner(iam: Any, kind: str) -> str:
    name = uname(f"own-{kind}")
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(DEV.root_arn)))
    return name


@pytest.mark.parametrize("kind", list(INLINE))
def test_inline_policy_put_get_list_overwrite_delete(iam: Any, kind: str) -> None:
    member, put_op, get_op, list_op, delete_op = INLINE[kind]
    put, get, list_call, delete = (getattr(iam, op) for op in (put_op, get_op, list_op, delete_op))
    owner = make_owner(iam, kind)
    first = policy(allow(["kms:Encrypt", "kms:Decrypt"], f"arn:aws:kms:us-east-1:{DEV.id}:key/*"))
    second = policy(deny("kms:ScheduleKeyDeletion"), allow("kms:DescribeKey"))

    assert list_call(**{member: owner})["PolicyNames"] == []
    put(**{member: owner}, PolicyName="alpha", PolicyDocument=json.dumps(first))
    got = get(**{member: owner}, PolicyName="alpha")
    assert got[member] == owner
    assert got["PolicyName"] == "alpha"
    assert got["PolicyDocument"] == first  # botocore URL-decodes and parses it into a dict
    put(**{member: owner}, PolicyName="beta", PolicyDocument=json.dumps(second))
    listed = list_call(**{member: owner})
    assert sorted(listed["PolicyNames"]) == ["alpha", "beta"]
    assert listed["IsTruncated"] is False

    put(**{member: owner}, PolicyName="alpha", PolicyDocument=json.dumps(second))  # same name: replaced
    assert get(**{member: owner}, PolicyName="alpha")["PolicyDocument"] == second
    assert sorted(list_call(**{member: owner})["PolicyNames"]) == ["alpha", "beta"]

    delete(**{member: owner}, PolicyName="alpha")
    expect("NoSuchEntity", 404, get, **{member: owner}, PolicyName="alpha")
    expect("NoSuchEntity", 404, delete, **{member: owner}, PolicyName="alpha")
    assert list_call(**{member: owner})["PolicyNames"] == ["beta"]


def test_policy_document_characters_survive_the_round_trip(iam: Any) -> None:
    """IAM returns documents URL-encoded; botocore decodes them, so '%', '+', '&' and non-ASCII must survive."""
    owner = make_owner(iam, "user")
    doc = policy(
        {
            "Sid": "Odd",
            "Effect": "Allow",
            "Action": "kms:Encrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:note": "50% off + a&b=c é"}},
        }
    )
    iam.put_user_policy(UserName=owner, PolicyName="odd", PolicyDocument=json.dumps(doc))
    assert iam.get_user_policy(UserName=owner, PolicyName="odd")["PolicyDocument"] == doc


MALFORMED_IDENTITY_POLICIES = {
    "bad-json": "{not json",
    "principal": json.dumps(
        policy({"Effect": "Allow", "Principal": {"AWS": DEV.root_arn}, "Action": "kms:Encrypt", "Resource": "*"})
    ),
    "no-resource": json.dumps(policy({"Effect": "Allow", "Action": "kms:Encrypt"})),
    "bad-effect": json.dumps(policy({"Effect": "Maybe", "Action": "kms:Encrypt", "Resource": "*"})),
    "action-without-service": json.dumps(policy(allow("Encrypt"))),
    "no-statement": json.dumps({"Version": "2012-10-17"}),
    "bad-version": json.dumps({"Version": "2020-01-01", "Statement": [allow("kms:Encrypt")]}),
}


@pytest.mark.parametrize("case", list(MALFORMED_IDENTITY_POLICIES))
def test_malformed_identity_policy_is_refused_and_not_stored(iam: Any, case: str) -> None:
    doc = MALFORMED_IDENTITY_POLICIES[case]
    user = make_owner(iam, "user")
    expect("MalformedPolicyDocument", 400, iam.put_user_policy, UserName=user, PolicyName="p", PolicyDocument=doc)
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
    role = make_owner(iam, "role")
    expect("MalformedPolicyDocument", 400, iam.put_role_policy, RoleName=role, PolicyName="p", PolicyDocument=doc)
    name = uname("malformed")
    expect("MalformedPolicyDocument", 400, iam.create_policy, PolicyName=name, PolicyDocument=doc)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=DEV.policy_arn(name))


def sized_policy(min_chars: int) -> str:
    """A valid identity policy of at least ``min_chars`` non-whitespace characters."""
    statements = []
    while len("".join(json.dumps(policy(*statements)).split())) < min_chars:
        n = len(statements)
        statements.append(
            allow("kms:Encrypt", f"arn:aws:kms:us-east-1:{DEV.id}:key/{n:08d}-0000-0000-0000-000000000000")
        )
    return json.dumps(policy(*statements))


def test_policy_size_quotas_are_limit_exceeded(iam: Any) -> None:
    """AWS quotas (whitespace not counted): a user's inline policies 2,048 characters in all; a managed policy 6,144."""
    user = make_owner(iam, "user")
    iam.put_user_policy(UserName=user, PolicyName="small", PolicyDocument=sized_policy(1000))
    expect(
        "LimitExceeded", 409, iam.put_user_policy, UserName=user, PolicyName="big", PolicyDocument=sized_policy(1200)
    )
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["small"]
    iam.create_policy(PolicyName=uname("fits"), PolicyDocument=sized_policy(6000))
    expect("LimitExceeded", 409, iam.create_policy, PolicyName=uname("huge"), PolicyDocument=sized_policy(6200))


def test_invalid_policy_name_is_validation_error(iam: Any) -> None:
    user = make_owner(iam, "user")
    doc = json.dumps(policy(allow("kms:ListKeys")))
    expect("ValidationError", 400, iam.put_user_policy, UserName=user, PolicyName="bad name", PolicyDocument=doc)
    expect("ValidationError", 400, iam.create_policy, PolicyName="bad/name", PolicyDocument=doc)


# =============================================================================================
# Managed policies
# =============================================================================================


def test_create_policy_shape_get_policy_and_get_policy_version(iam: Any) -> None:
    name = uname("managed")
    doc = policy(allow(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"]))
    created = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(doc), Description="managed for tests")[
        "Policy"
    ]
    assert created["PolicyName"] == name
    assert created["Arn"] == DEV.policy_arn(name)
    assert created["Path"] == "/"
    assert UNIQUE_ID_RE["ANPA"].match(created["PolicyId"]), created["PolicyId"]
    assert created["DefaultVersionId"] == "v1"
    assert created["AttachmentCount"] == 0
    assert created["IsAttachable"] is True
    assert_recent(created["CreateDate"])

    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    for member in ("PolicyName", "Arn", "Path", "PolicyId", "DefaultVersionId", "AttachmentCount", "IsAttachable"):
        assert got[member] == created[member], member
    assert got["Description"] == "managed for tests"

    version = iam.get_policy_version(PolicyArn=created["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["VersionId"] == "v1"
    assert version["IsDefaultVersion"] is True
    assert version["Document"] == doc  # URL-decoded and parsed by botocore
    assert_recent(version["CreateDate"])
    expect("NoSuchEntity", 404, iam.get_policy_version, PolicyArn=created["Arn"], VersionId="v2")
    expect("EntityAlreadyExists", 409, iam.create_policy, PolicyName=name, PolicyDocument=json.dumps(doc))


def test_managed_policy_path_is_part_of_its_arn(iam: Any) -> None:
    name = uname("pathed")
    created = iam.create_policy(
        PolicyName=name, Path="/team/", PolicyDocument=json.dumps(policy(allow("kms:ListKeys")))
    )
    assert created["Policy"]["Arn"] == DEV.policy_arn(name, "/team/")
    assert created["Policy"]["Path"] == "/team/"
    assert iam.get_policy(PolicyArn=DEV.policy_arn(name, "/team/"))["Policy"]["PolicyName"] == name


def test_attach_list_detach_to_user_group_and_role(iam: Any) -> None:
    doc = json.dumps(policy(allow("kms:ListKeys")))
    pname = uname("attach")
    arn = iam.create_policy(PolicyName=pname, PolicyDocument=doc)["Policy"]["Arn"]
    user, group, role = make_owner(iam, "user"), make_owner(iam, "group"), make_owner(iam, "role")
    # (name member, owner, attach, detach, list attached, delete owner) per kind
    targets = [
        (
            f"{kind.capitalize()}Name",
            owner,
            getattr(iam, f"attach_{kind}_policy"),
            getattr(iam, f"detach_{kind}_policy"),
            getattr(iam, f"list_attached_{kind}_policies"),
            getattr(iam, f"delete_{kind}"),
        )
        for kind, owner in (("user", user), ("group", group), ("role", role))
    ]
    for member, owner, attach, _detach, list_attached, _delete in targets:
        assert list_attached(**{member: owner})["AttachedPolicies"] == []
        attach(**{member: owner}, PolicyArn=arn)
        listed = list_attached(**{member: owner})
        assert listed["AttachedPolicies"] == [{"PolicyName": pname, "PolicyArn": arn}]
        assert listed["IsTruncated"] is False
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    iam.attach_user_policy(UserName=user, PolicyArn=arn)  # attaching again changes nothing
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    assert len(iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]) == 1

    expect("DeleteConflict", 409, iam.delete_policy, PolicyArn=arn)
    for member, owner, _attach, detach, list_attached, delete in targets:
        expect("DeleteConflict", 409, delete, **{member: owner})
        detach(**{member: owner}, PolicyArn=arn)
        assert list_attached(**{member: owner})["AttachedPolicies"] == []
        expect("NoSuchEntity", 404, detach, **{member: owner}, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0

    iam.delete_policy(PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.get_policy_version, PolicyArn=arn, VersionId="v1")
    expect("NoSuchEntity", 404, iam.delete_policy, PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.attach_user_policy, UserName=user, PolicyArn=arn)
    for member, owner, *_rest, delete in targets:
        delete(**{member: owner})


def test_attach_to_missing_entity_or_missing_policy_is_no_such_entity(iam: Any) -> None:
    arn = iam.create_policy(PolicyName=uname("p"), PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))["Policy"][
        "Arn"
    ]
    user = make_owner(iam, "user")
    ghost = uname("ghost")
    expect("NoSuchEntity", 404, iam.attach_user_policy, UserName=ghost, PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.attach_group_policy, GroupName=ghost, PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.attach_role_policy, RoleName=ghost, PolicyArn=arn)
    expect("NoSuchEntity", 404, iam.attach_user_policy, UserName=user, PolicyArn=DEV.policy_arn(ghost))
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


def test_user_with_policies_keys_or_groups_is_delete_conflict(iam: Any) -> None:
    name = make_owner(iam, "user")
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))
    expect("DeleteConflict", 409, iam.delete_user, UserName=name)
    iam.delete_user_policy(UserName=name, PolicyName="p")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    expect("DeleteConflict", 409, iam.delete_user, UserName=name)
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    expect("NoSuchEntity", 404, iam.get_user, UserName=name)


# =============================================================================================
# STS: GetCallerIdentity and AssumeRole
# =============================================================================================


@pytest.mark.parametrize("account", [DEV, SECOND], ids=["dev", "second"])
def test_get_caller_identity_of_an_account_root(server: KmsdServer, account: Account) -> None:
    ident = aws_client(server, "sts", account.root).get_caller_identity()
    assert ident["Account"] == account.id
    assert ident["Arn"] == account.root_arn
    assert ident["UserId"] == account.id


def test_get_caller_identity_needs_no_permission_even_when_denied(iam: Any, as_: Callable[..., Any]) -> None:
    user, creds = new_user(iam, "gci", deny(["sts:GetCallerIdentity", "*"]))
    ident = as_(creds, "sts").get_caller_identity()
    assert ident["Arn"] == user["Arn"]
    assert ident["Account"] == DEV.id
    assert ident["UserId"] == user["UserId"]


def test_assume_role_in_the_same_account_issues_session_credentials(iam: Any, as_: Callable[..., Any]) -> None:
    role = new_role(iam, "same", trust(DEV.root_arn))
    _user, creds = new_user(iam, "assumer", allow("sts:AssumeRole", role["Arn"]))
    out = as_(creds, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="sess-1")
    c = out["Credentials"]
    assert SESSION_ACCESS_KEY_ID_RE.match(c["AccessKeyId"]), c["AccessKeyId"]
    assert isinstance(c["SecretAccessKey"], str) and len(c["SecretAccessKey"]) == 40
    assert isinstance(c["SessionToken"], str) and len(c["SessionToken"]) >= 16
    assert_expires_in(c["Expiration"], 3600)
    assumed = out["AssumedRoleUser"]
    assert assumed["Arn"] == DEV.assumed_role_arn(role["RoleName"], "sess-1")
    assert assumed["AssumedRoleId"] == f"{role['RoleId']}:sess-1"

    ident = as_(Credentials.from_sts(c), "sts").get_caller_identity()
    assert ident["Arn"] == assumed["Arn"]
    assert ident["Account"] == DEV.id
    assert ident["UserId"] == assumed["AssumedRoleId"]

    again = as_(creds, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="sess-1")["Credentials"]
    assert again["AccessKeyId"] != c["AccessKeyId"]
    assert again["SessionToken"] != c["SessionToken"]


def test_role_session_is_authorized_by_the_role_policies(server: KmsdServer, iam: Any, as_: Callable[..., Any]) -> None:
    role = new_role(iam, "worker", trust(DEV.root_arn), allow(["iam:ListUsers", "kms:CreateKey", "kms:Encrypt"]))
    _user, creds = new_user(iam, "worker-user", allow("sts:AssumeRole", role["Arn"]))
    c = as_(creds, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="work")["Credentials"]
    session = Credentials.from_sts(c)
    session_arn = DEV.assumed_role_arn(role["RoleName"], "work")
    s_iam, s_kms = as_(session, "iam"), as_(session, "kms")

    s_iam.list_users(MaxItems=1)
    err = expect("AccessDenied", 403, s_iam.create_user, UserName=uname("nope"))
    assert session_arn in message(err) and "iam:CreateUser" in message(err), message(err)
    md = s_kms.create_key()["KeyMetadata"]
    assert md["AWSAccountId"] == DEV.id
    blob = s_kms.encrypt(KeyId=md["KeyId"], Plaintext=b"role data")["CiphertextBlob"]
    err = expect("AccessDeniedException", 400, s_kms.decrypt, CiphertextBlob=blob)
    assert session_arn in message(err) and "kms:Decrypt" in message(err), message(err)
    # The root of the account can decrypt (the key's default policy trusts it).
    assert aws_client(server, "kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"role data"


def test_assume_role_duration_bounds(iam: Any, as_: Callable[..., Any]) -> None:
    short = new_role(iam, "dur", trust(DEV.root_arn))
    long = new_role(iam, "dur7200", trust(DEV.root_arn), MaxSessionDuration=7200)
    _user, creds = new_user(iam, "dur-user", allow("sts:AssumeRole", [short["Arn"], long["Arn"]]))
    sts, sts_nv = as_(creds, "sts"), as_(creds, "sts", parameter_validation=False)

    c = sts.assume_role(RoleArn=short["Arn"], RoleSessionName="s900", DurationSeconds=900)["Credentials"]
    assert_expires_in(c["Expiration"], 900)
    c = sts.assume_role(RoleArn=long["Arn"], RoleSessionName="s7200", DurationSeconds=7200)["Credentials"]
    assert_expires_in(c["Expiration"], 7200)
    c = sts.assume_role(RoleArn=long["Arn"], RoleSessionName="default")["Credentials"]
    assert_expires_in(c["Expiration"], 3600)

    expect(
        "ValidationError", 400, sts_nv.assume_role, RoleArn=short["Arn"], RoleSessionName="s899", DurationSeconds=899
    )
    expect("ValidationError", 400, sts.assume_role, RoleArn=short["Arn"], RoleSessionName="s2", DurationSeconds=3601)
    expect("ValidationError", 400, sts.assume_role, RoleArn=long["Arn"], RoleSessionName="s2", DurationSeconds=7201)
    expect("ValidationError", 400, sts.assume_role, RoleArn=long["Arn"], RoleSessionName="s2", DurationSeconds=43201)


@pytest.mark.parametrize("session_name", ["bad name", "bad/name", "x" * 65, "x"], ids=["space", "slash", "65", "1"])
def test_invalid_role_session_name_is_validation_error(iam: Any, as_: Callable[..., Any], session_name: str) -> None:
    role = new_role(iam, "sn", trust(DEV.root_arn))
    _user, creds = new_user(iam, "sn-user", allow("sts:AssumeRole", role["Arn"]))
    sts = as_(creds, "sts", parameter_validation=False)
    expect("ValidationError", 400, sts.assume_role, RoleArn=role["Arn"], RoleSessionName=session_name)


def test_trust_policy_naming_the_user_needs_no_identity_policy_in_the_same_account(
    iam: Any, as_: Callable[..., Any]
) -> None:
    """A resource policy (here the trust policy) that names a same-account principal suffices on its own."""
    user, creds = new_user(iam, "named")
    role = new_role(iam, "names-user", trust(user["Arn"]))
    out = as_(creds, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="named")
    assert out["AssumedRoleUser"]["Arn"] == DEV.assumed_role_arn(role["RoleName"], "named")


def test_trust_policy_naming_the_account_needs_the_callers_identity_policy(iam: Any, as_: Callable[..., Any]) -> None:
    role = new_role(iam, "acct", trust(DEV.root_arn))
    user, creds = new_user(iam, "no-policy")
    err = expect("AccessDenied", 403, as_(creds, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="sess")
    assert user["Arn"] in message(err) and "sts:AssumeRole" in message(err), message(err)


def test_updating_the_trust_policy_takes_effect_at_once(iam: Any, as_: Callable[..., Any]) -> None:
    user, creds = new_user(iam, "retrust")
    role = new_role(iam, "retrust", trust(user["Arn"]))
    sts = as_(creds, "sts")
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="before")
    iam.update_assume_role_policy(
        RoleName=role["RoleName"], PolicyDocument=json.dumps(trust(DEV.user_arn(make_owner(iam, "user"))))
    )
    expect("AccessDenied", 403, sts.assume_role, RoleArn=role["Arn"], RoleSessionName="after")


def test_assume_role_not_in_the_trust_policy_is_access_denied(iam: Any, as_: Callable[..., Any]) -> None:
    role = new_role(iam, "other", trust(DEV.user_arn(make_owner(iam, "user"))))
    user, creds = new_user(iam, "outsider", allow("sts:AssumeRole", "*"))
    err = expect("AccessDenied", 403, as_(creds, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="sess")
    assert user["Arn"] in message(err) and role["Arn"] in message(err), message(err)


def test_explicit_deny_of_assume_role_wins_over_the_trust_policy(iam: Any, as_: Callable[..., Any]) -> None:
    user, creds = new_user(iam, "denied")
    role = new_role(iam, "deny", trust(user["Arn"]))
    iam.put_user_policy(
        UserName=user["UserName"], PolicyName="deny", PolicyDocument=json.dumps(policy(deny("sts:AssumeRole")))
    )
    expect("AccessDenied", 403, as_(creds, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="sess")


def test_assume_missing_role_is_access_denied(iam: Any, as_: Callable[..., Any]) -> None:
    _user, creds = new_user(iam, "ghostly", allow("sts:AssumeRole", "*"))
    expect(
        "AccessDenied", 403, as_(creds, "sts").assume_role,
        RoleArn=DEV.role_arn(uname("never-created")), RoleSessionName="sess",
    )  # fmt: skip


def test_root_credentials_cannot_assume_a_role(server: KmsdServer, iam: Any) -> None:
    role = new_role(iam, "rootless", trust(DEV.root_arn))
    expect("AccessDenied", 403, aws_client(server, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="root")


# =============================================================================================
# SigV4 failures on IAM and STS, session tokens
# =============================================================================================

UNKNOWN = Credentials("AKIAUNKNOWNKEY000000", "x" * 40)


@pytest.mark.parametrize("service, op", [("iam", "list_users"), ("sts", "get_caller_identity")], ids=["iam", "sts"])
def test_signature_scoped_to_another_region_is_signature_does_not_match(
    server: KmsdServer, service: str, op: str
) -> None:
    """IAM and STS here are us-east-1: a signature scoped to us-west-2 does not match."""
    expect("SignatureDoesNotMatch", 403, getattr(aws_client(server, service, region="us-west-2"), op))


@pytest.mark.parametrize("service, op", [("iam", "list_users"), ("sts", "get_caller_identity")], ids=["iam", "sts"])
def test_unknown_access_key_is_invalid_client_token_id(server: KmsdServer, service: str, op: str) -> None:
    expect("InvalidClientTokenId", 403, getattr(aws_client(server, service, UNKNOWN), op))


@pytest.mark.parametrize("service, op", [("iam", "list_users"), ("sts", "get_caller_identity")], ids=["iam", "sts"])
def test_wrong_secret_is_signature_does_not_match(server: KmsdServer, iam: Any, service: str, op: str) -> None:
    expect("SignatureDoesNotMatch", 403, getattr(aws_client(server, service, Credentials("test", "nope")), op))
    _user, creds = new_user(iam, "wrongsecret", allow("iam:ListUsers"))
    wrong = Credentials(creds.access_key, creds.secret_key[:-1] + ("A" if creds.secret_key[-1] != "A" else "B"))
    expect("SignatureDoesNotMatch", 403, getattr(aws_client(server, service, wrong), op))


def test_wrong_secret_of_an_iam_user_on_kms_is_invalid_signature(server: KmsdServer, iam: Any) -> None:
    _user, creds = new_user(iam, "kmssig", allow("kms:ListKeys"))
    aws_client(server, "kms", creds).list_keys(Limit=1)
    expect(
        "InvalidSignatureException", 400, aws_client(server, "kms", Credentials(creds.access_key, "y" * 40)).list_keys
    )


@pytest.fixture(scope="module")
def session_creds(server: KmsdServer, iam: Any) -> tuple[Credentials, Credentials, str]:
    """(a user's long-term key, a role session of that user, the role's ARN); the role allows
    iam:ListUsers and kms:ListKeys."""
    role = new_role(iam, "tok", trust(DEV.root_arn), allow(["iam:ListUsers", "kms:ListKeys"]))
    _user, creds = new_user(iam, "tok-user", allow("sts:AssumeRole", role["Arn"]))
    c = aws_client(server, "sts", creds).assume_role(RoleArn=role["Arn"], RoleSessionName="tok")
    return creds, Credentials.from_sts(c["Credentials"]), role["Arn"]


def assert_refused_everywhere(server: KmsdServer, creds: Credentials) -> None:
    expect("InvalidClientTokenId", 403, aws_client(server, "sts", creds).get_caller_identity)
    expect("InvalidClientTokenId", 403, aws_client(server, "iam", creds).list_users)
    expect("UnrecognizedClientException", 400, aws_client(server, "kms", creds).list_keys)


def test_session_credentials_work_before_any_tampering(server: KmsdServer, session_creds: Any) -> None:
    _long_term, session, _role_arn = session_creds
    assert ":assumed-role/" in aws_client(server, "sts", session).get_caller_identity()["Arn"]
    aws_client(server, "iam", session).list_users(MaxItems=1)
    aws_client(server, "kms", session).list_keys(Limit=1)


def test_session_token_with_long_term_credentials_is_refused(server: KmsdServer, session_creds: Any) -> None:
    long_term, session, _role_arn = session_creds
    assert_refused_everywhere(server, Credentials(long_term.access_key, long_term.secret_key, session.session_token))


def test_tampered_session_token_is_refused(server: KmsdServer, session_creds: Any) -> None:
    _long_term, session, _role_arn = session_creds
    token = session.session_token
    assert token
    # Not near the end: a base64 text's last character may carry bits that decoding ignores.
    for index in (0, len(token) // 3, len(token) // 2):
        swapped = "B" if token[index] != "B" else "C"
        tampered = token[:index] + swapped + token[index + 1 :]
        assert_refused_everywhere(server, Credentials(session.access_key, session.secret_key, tampered))
    assert_refused_everywhere(server, Credentials(session.access_key, session.secret_key, token[:-8]))


def test_session_key_without_its_token_is_refused(server: KmsdServer, session_creds: Any) -> None:
    _long_term, session, _role_arn = session_creds
    assert_refused_everywhere(server, Credentials(session.access_key, session.secret_key))


def test_session_token_of_another_session_is_refused(server: KmsdServer, session_creds: Any) -> None:
    long_term, session, role_arn = session_creds
    other = aws_client(server, "sts", long_term).assume_role(RoleArn=role_arn, RoleSessionName="other")
    mixed = Credentials(session.access_key, session.secret_key, other["Credentials"]["SessionToken"])
    # AWS does not document which of the two codes a key/token mismatch gets; it must be refused with 403.
    with pytest.raises(ClientError) as info:
        aws_client(server, "sts", mixed).get_caller_identity()
    assert info.value.response["Error"]["Code"] in ("InvalidClientTokenId", "SignatureDoesNotMatch")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_session_with_wrong_secret_is_signature_does_not_match(server: KmsdServer, session_creds: Any) -> None:
    _long_term, session, _role_arn = session_creds
    wrong = Credentials(session.access_key, "z" * 40, session.session_token)
    expect("SignatureDoesNotMatch", 403, aws_client(server, "sts", wrong).get_caller_identity)
    expect("InvalidSignatureException", 400, aws_client(server, "kms", wrong).list_keys)


def test_role_policy_changes_apply_to_live_sessions_at_once(server: KmsdServer, iam: Any) -> None:
    role = new_role(iam, "live", trust(DEV.root_arn), allow("kms:ListKeys"))
    _user, creds = new_user(iam, "live-user", allow("sts:AssumeRole", role["Arn"]))
    c = aws_client(server, "sts", creds).assume_role(RoleArn=role["Arn"], RoleSessionName="live")["Credentials"]
    kms = aws_client(server, "kms", Credentials.from_sts(c))
    kms.list_keys(Limit=1)
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="inline")
    expect("AccessDeniedException", 400, kms.list_keys)
    arn = iam.create_policy(PolicyName=uname("live"), PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))[
        "Policy"
    ]["Arn"]
    iam.attach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    kms.list_keys(Limit=1)


def test_session_expires_on_the_service_clock(kmsd_factory: Callable[..., KmsdServer]) -> None:
    server = kmsd_factory("kmsd-session-expiry")
    root_iam = aws_client(server, "iam")
    role = new_role(root_iam, "exp", trust(DEV.root_arn), allow(["iam:ListUsers", "kms:ListKeys"]))
    _user, creds = new_user(root_iam, "exp-user", allow("sts:AssumeRole", role["Arn"]))
    user_sts = aws_client(server, "sts", creds)
    c = user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="short", DurationSeconds=900)["Credentials"]
    session = Credentials.from_sts(c)
    s_sts, s_iam, s_kms = (aws_client(server, svc, session) for svc in ("sts", "iam", "kms"))

    server.advance_clock(840)  # 60 s of the 900 left
    s_sts.get_caller_identity()
    s_iam.list_users(MaxItems=1)
    s_kms.list_keys(Limit=1)

    server.advance_clock(120)  # 60 s past expiry
    err = expect("ExpiredToken", 403, s_sts.get_caller_identity)
    assert "expired" in message(err).lower()
    expect("ExpiredToken", 403, s_iam.list_users)
    expect("ExpiredTokenException", 400, s_kms.list_keys)

    # Long-term keys do not expire, and a new session starts from the service's (moved) clock.
    assert user_sts.get_caller_identity()["Account"] == DEV.id
    fresh = user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="fresh")["Credentials"]
    aws_client(server, "kms", Credentials.from_sts(fresh)).list_keys(Limit=1)


# =============================================================================================
# Authorization by identity policies
# =============================================================================================


def test_user_without_policies_is_denied_iam_and_kms(server: KmsdServer, iam: Any) -> None:
    user, creds = new_user(iam, "bare")
    err = expect("AccessDenied", 403, aws_client(server, "iam", creds).list_users)
    text = message(err)
    assert f"User: {user['Arn']} is not authorized to perform: iam:ListUsers" in text, text
    err = expect("AccessDeniedException", 400, aws_client(server, "kms", creds).create_key)
    text = message(err)
    assert f"User: {user['Arn']} is not authorized to perform: kms:CreateKey" in text, text


def test_no_identity_policy_message_names_the_resource_and_the_reason(server: KmsdServer, iam: Any) -> None:
    key_id = aws_client(server, "kms").create_key()["KeyMetadata"]["KeyId"]
    user, creds = new_user(iam, "reason", allow("kms:Encrypt", f"arn:aws:kms:us-east-1:{DEV.id}:key/none"))
    err = expect("AccessDeniedException", 400, aws_client(server, "kms", creds).encrypt, KeyId=key_id, Plaintext=b"x")
    key_arn = f"arn:aws:kms:us-east-1:{DEV.id}:key/{key_id}"
    assert message(err) == (
        f"User: {user['Arn']} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
        "because no identity-based policy allows the kms:Encrypt action"
    )


def test_explicit_deny_wins_over_allow(server: KmsdServer, iam: Any) -> None:
    _user, creds = new_user(iam, "denyuser", allow("kms:*"), deny("kms:Decrypt"))
    kms = aws_client(server, "kms", creds)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    err = expect("AccessDeniedException", 400, kms.decrypt, CiphertextBlob=blob)
    assert "explicit deny" in message(err), message(err)


def test_resource_scoped_allow_covers_only_that_key(server: KmsdServer, iam: Any) -> None:
    root_kms = aws_client(server, "kms")
    allowed = root_kms.create_key()["KeyMetadata"]
    other = root_kms.create_key()["KeyMetadata"]
    _user, creds = new_user(iam, "scoped", allow("kms:Encrypt", allowed["Arn"]))
    kms = aws_client(server, "kms", creds)
    kms.encrypt(KeyId=allowed["KeyId"], Plaintext=b"ok")
    kms.encrypt(KeyId=allowed["Arn"], Plaintext=b"ok")
    expect("AccessDeniedException", 400, kms.encrypt, KeyId=other["KeyId"], Plaintext=b"no")


def test_group_policies_apply_only_while_a_member(server: KmsdServer, iam: Any) -> None:
    group = make_owner(iam, "group")
    iam.put_group_policy(GroupName=group, PolicyName="list", PolicyDocument=json.dumps(policy(allow("iam:ListUsers"))))
    user, creds = new_user(iam, "member")
    user_iam = aws_client(server, "iam", creds)
    expect("AccessDenied", 403, user_iam.list_users)
    iam.add_user_to_group(GroupName=group, UserName=user["UserName"])
    user_iam.list_users(MaxItems=1)
    iam.remove_user_from_group(GroupName=group, UserName=user["UserName"])
    expect("AccessDenied", 403, user_iam.list_users)


def test_attached_managed_policy_grants_and_detaching_revokes(server: KmsdServer, iam: Any) -> None:
    arn = iam.create_policy(PolicyName=uname("grant"), PolicyDocument=json.dumps(policy(allow("iam:ListUsers"))))[
        "Policy"
    ]["Arn"]
    user, creds = new_user(iam, "managed-user")
    user_iam = aws_client(server, "iam", creds)
    expect("AccessDenied", 403, user_iam.list_users)
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    user_iam.list_users(MaxItems=1)
    iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    expect("AccessDenied", 403, user_iam.list_users)


def test_iam_user_with_iam_rights_creates_users_in_its_own_account(server: KmsdServer, iam: Any) -> None:
    _admin, creds = new_user(iam, "iamadmin", allow("iam:*"))
    name = uname("made-by-admin")
    made = aws_client(server, "iam", creds).create_user(UserName=name)["User"]
    assert made["Arn"] == DEV.user_arn(name)
    assert iam.get_user(UserName=name)["User"]["UserId"] == made["UserId"]


def test_iam_resource_scoped_allow(server: KmsdServer, iam: Any) -> None:
    """iam:GetUser allowed on one user's ARN only."""
    target = make_owner(iam, "user")
    other = make_owner(iam, "user")
    _user, creds = new_user(iam, "reader", allow("iam:GetUser", DEV.user_arn(target)))
    user_iam = aws_client(server, "iam", creds)
    assert user_iam.get_user(UserName=target)["User"]["UserName"] == target
    err = expect("AccessDenied", 403, user_iam.get_user, UserName=other)
    assert DEV.user_arn(other) in message(err), message(err)


# =============================================================================================
# Accounts are separate
# =============================================================================================


def test_each_account_has_its_own_iam_world(server: KmsdServer, iam: Any, iam2: Any) -> None:
    name = uname("sep")
    theirs = iam2.create_user(UserName=name)["User"]
    assert theirs["Arn"] == SECOND.user_arn(name)
    assert iam2.get_user(UserName=name)["User"]["UserId"] == theirs["UserId"]
    expect("NoSuchEntity", 404, iam.get_user, UserName=name)
    dev_users = [u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]]
    assert name not in dev_users

    ours = iam.create_user(UserName=name)["User"]  # the same name is free in another account
    assert ours["Arn"] == DEV.user_arn(name)
    assert ours["UserId"] != theirs["UserId"]
    key = iam2.create_access_key(UserName=name)["AccessKey"]
    ident = aws_client(server, "sts", Credentials.from_access_key(key)).get_caller_identity()
    assert ident["Account"] == SECOND.id and ident["Arn"] == theirs["Arn"]

    iam.delete_user(UserName=name)
    assert iam2.get_user(UserName=name)["User"]["Arn"] == theirs["Arn"]

    gname = uname("sepgrp")
    iam2.create_group(GroupName=gname)
    expect("NoSuchEntity", 404, iam.get_group, GroupName=gname)
    pname = uname("seppol")
    parn = iam2.create_policy(PolicyName=pname, PolicyDocument=json.dumps(policy(allow("kms:ListKeys"))))["Policy"][
        "Arn"
    ]
    assert parn == SECOND.policy_arn(pname)
    expect("NoSuchEntity", 404, iam.get_policy, PolicyArn=DEV.policy_arn(pname))


def test_iam_admin_of_another_account_creates_users_only_there(server: KmsdServer, iam2: Any) -> None:
    """A user in 098765432109 with iam:* is still confined to its own account."""
    _admin, creds = new_user(iam2, "admin2", allow("iam:*"))
    their_iam = aws_client(server, "iam", creds)
    name = uname("confined")
    made = their_iam.create_user(UserName=name)["User"]
    assert made["Arn"] == SECOND.user_arn(name)
    expect("NoSuchEntity", 404, aws_client(server, "iam").get_user, UserName=name)


def test_kms_keys_belong_to_the_account_that_made_them(server: KmsdServer) -> None:
    kms2 = aws_client(server, "kms", SECOND.root)
    md = kms2.create_key(Description="second account key")["KeyMetadata"]
    assert md["AWSAccountId"] == SECOND.id
    assert md["Arn"] == SECOND.key_arn_prefix() + md["KeyId"]
    kms1 = aws_client(server, "kms")
    listed = [k["KeyId"] for p in kms1.get_paginator("list_keys").paginate() for k in p["Keys"]]
    assert md["KeyId"] not in listed
    # The default key policy trusts only its own account: by ARN the other root is refused.
    err = expect("AccessDeniedException", 400, kms1.encrypt, KeyId=md["Arn"], Plaintext=b"x")
    assert DEV.root_arn in message(err), message(err)
