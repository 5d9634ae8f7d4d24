"""Signs one KMS request with botocore and prints it as a wrk Lua script.

A first, provisional load tool (issue 2 asks for a starting figure; the real load generator is
issue 8's). SigV4 signatures stay valid for 15 minutes and KMS has no replay protection, so
wrk can replay one signed request for a short run.

usage: python bench/sign_request.py ENDPOINT OPERATION JSON_BODY > /tmp/req.lua
(credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, default the dev root test/test)
"""

import os
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def main() -> None:
    endpoint, operation, body = sys.argv[1], sys.argv[2], sys.argv[3]
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"TrentService.{operation}",
        },
    )
    credentials = Credentials(
        os.environ.get("AWS_ACCESS_KEY_ID", "test"), os.environ.get("AWS_SECRET_ACCESS_KEY", "test")
    )
    SigV4Auth(credentials, "kms", "us-east-1").add_auth(request)
    print('wrk.method = "POST"')
    print(f"wrk.body = {lua_string(body)}")
    for name, value in request.headers.items():
        print(f"wrk.headers[{lua_string(name)}] = {lua_string(value)}")


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    main()
