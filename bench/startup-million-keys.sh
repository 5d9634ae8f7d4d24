#!/usr/bin/env bash
# Start-up time and memory with 1,000,000 keys in the store (issue 8: < 2 s, memory bounded).
# Makes a data dir with kmsd itself (schema, domain key, one real key), clones that key's rows
# a million times with sqlite (fresh ids, the same EKT — start-up never reads them), then times
# `kmsd serve` from exec to a 200 from /health and reads its resident memory.
# usage: bench/startup-million-keys.sh [KMSD_BINARY] [KEYS]
set -euo pipefail
kmsd=${1:-target/release/kmsd}
keys=${2:-1000000}
python=${PYTHON:-python3}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(( 20000 + RANDOM % 20000 ))

"$kmsd" serve --dev --listen "127.0.0.1:$port" --data-dir "$dir" >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.05; done
AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "$python" - "$port" <<'PY'
import sys, boto3
boto3.client("kms", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}").create_key(Description="template")
PY
kill "$pid"; wait "$pid" || true

"$python" - "$dir/kmsd.sqlite3" "$keys" <<'PY'
import sqlite3, sys, uuid
db, n = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
cols = [r[1] for r in con.execute("PRAGMA table_info(keys)")]
bcols = [r[1] for r in con.execute("PRAGMA table_info(backing_keys)")]
key = dict(zip(cols, con.execute("SELECT * FROM keys LIMIT 1").fetchone()))
bk = dict(zip(bcols, con.execute("SELECT * FROM backing_keys LIMIT 1").fetchone()))
con.execute("PRAGMA foreign_keys=OFF")
def rows():
    for _ in range(n):
        k = dict(key); k["key_id"] = str(uuid.uuid4()); yield k
with con:
    con.executemany(f"INSERT INTO keys ({','.join(cols)}) VALUES ({','.join(':'+c for c in cols)})", rows())
    con.execute(f"INSERT INTO backing_keys ({','.join(bcols)}) SELECT k.key_id, b.backing_key_id, b.ekt, b.created_at, b.rotation_type FROM keys k, (SELECT * FROM backing_keys LIMIT 1) b WHERE k.key_id <> b.key_id")
print("keys in store:", con.execute("SELECT COUNT(*) FROM keys").fetchone()[0], file=sys.stderr)
PY

start=$(date +%s.%N)
"$kmsd" serve --dev --listen "127.0.0.1:$port" --data-dir "$dir" >/dev/null 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.01; done
end=$(date +%s.%N)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
printf '{"keys": %d, "startup_seconds": %.3f, "rss_kib": %d}\n' "$keys" "$(echo "$end - $start" | bc)" "$rss"
