#!/usr/bin/env bash
# Provisional Encrypt throughput: creates a key on a running dev kmsd, signs one Encrypt request
# of a 64-byte plaintext with botocore, and replays it with wrk over keep-alive connections.
# usage: bench/wrk-encrypt.sh ENDPOINT [CONNECTIONS] [SECONDS] [THREADS]
# Signs as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY if set (e.g. an IAM user), else the dev root.
set -euo pipefail
endpoint=${1:?endpoint, e.g. http://127.0.0.1:4580}
connections=${2:-64}
seconds=${3:-10}
threads=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test} AWS_DEFAULT_REGION=us-east-1
key_id=$("$python" - "$endpoint" <<'PY'
import sys, boto3
kms = boto3.client("kms", endpoint_url=sys.argv[1])
print(kms.create_key(Description="wrk-encrypt")["KeyMetadata"]["KeyId"])
PY
)
plaintext=$(head -c 64 /dev/zero | tr '\0' 'x' | base64 -w0)
script=$(mktemp --suffix=.lua)
trap 'rm -f "$script"' EXIT
"$python" "$here/sign_request.py" "$endpoint" Encrypt \
    "{\"KeyId\":\"$key_id\",\"Plaintext\":\"$plaintext\"}" > "$script"
wrk -t "$threads" -c "$connections" -d "${seconds}s" --latency -s "$script" "$endpoint/"
