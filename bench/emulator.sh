#!/usr/bin/env bash
# The emulator's throughput on a big batch (BENCHMARKS.md, case 5): requests per second
# answered, first with only the API (curl, 8 at a time), then with `wan` as the client
# (downloads and files included). 8 prompts × 32 requests of n=4 at 1024x1024, twice
# over: the first pass draws, the second finds the pictures drawn. Then 256 distinct
# prompts, which no cache can help: the cost of drawing alone.
# Usage: bench/emulator.sh [WAN]    (WAN: a wan binary to measure; default: build this one)
# CLIENT=path: the wan that sends the batch (default WAN), to compare emulators alone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then WAN=$1; else cargo build --release --locked -q; WAN=$PWD/target/release/wan; fi
CLIENT=${CLIENT:-$WAN}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A balance to pay for it all, where the emulator keeps one.
extra=()
"$WAN" emulator --help | grep -q -- '--balance' && extra=(--balance 1000000)

start() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -f "$work/url"
  "$WAN" emulator --port 0 --seed 1 "${extra[@]}" > "$work/url" 2> "$work/log" &
  pid=$!
  until [ -s "$work/url" ]; do sleep 0.05; done
  BASE=$(head -1 "$work/url")
}

for p in $(seq 1 8); do for _ in $(seq 1 32); do echo "prompt number $p"; done; done > "$work/prompts.txt"
for p in $(seq 1 256); do echo "distinct prompt $p"; done > "$work/distinct.txt"
requests=$(wc -l < "$work/prompts.txt")

# rate SECONDS: requests per second
rate() { awk "BEGIN { printf \"%.1f\", $requests / $1 }"; }
now() { date +%s.%N; }

api_pass() { # [PROMPTS]
  local t0 t1
  t0=$(now)
  while read -r prompt; do
    printf '{"model":"wan2.7-image","messages":[{"role":"user","content":[{"type":"text","text":"%s"}]}],"n":4}\n' "$prompt"
  done < "${1:-$work/prompts.txt}" |
    xargs -d '\n' -P 8 -I{} curl -sS -o /dev/null -H 'Authorization: Bearer bench' -d '{}' "$BASE/chat/completions"
  t1=$(now)
  awk "BEGIN { print $t1 - $t0 }"
}

wan_pass() {
  local t0 t1
  rm -rf "$work/out"
  t0=$(now)
  AISA_API_KEY=bench AISA_BASE_URL=$BASE "$CLIENT" generate -f "$work/prompts.txt" -n 4 -j 8 -q -o "$work/out" > /dev/null
  t1=$(now)
  awk "BEGIN { print $t1 - $t0 }"
}

echo "== $("$WAN" --version), $(nproc) cores: $requests requests of 4 images, 1024x1024"
start
first=$(api_pass); second=$(api_pass)
echo "API only (curl -P 8):  first pass $(rate "$first") req/s ($first s), second pass $(rate "$second") req/s ($second s)"
start
distinct=$(api_pass "$work/distinct.txt")
echo "API only, 256 distinct prompts (nothing to reuse): $(rate "$distinct") req/s ($distinct s)"
start
first=$(wan_pass); second=$(wan_pass)
echo "wan -j 8 (saving all): first pass $(rate "$first") req/s ($first s), second pass $(rate "$second") req/s ($second s)"
cached=$(grep -o '[0-9]* cached' "$work/log" | awk '{ s += $1 } END { print s + 0 }')
echo "pictures served from the cache in the wan passes: $cached of $((requests * 8))"
