#!/usr/bin/env bash
# Benchmarks `wan` against what users would otherwise write (see BENCHMARKS.md).
# Installs what it needs, builds the release binary, starts `wan emulator` with fixed
# latencies, and measures four cases side by side. Numbers are medians of repeated runs.
# Usage: bench/run.sh            (RUNS=N to change the number of timed runs of cases 2-4)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}

install() { # command, Debian package
  command -v "$1" >/dev/null 2>&1 && return
  apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null
}
install hyperfine hyperfine
install jq jq
install curl curl
[ -x /usr/bin/time ] || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; }
SDK=no
if python3 -c 'import openai' 2>/dev/null || pip install -q openai >/dev/null 2>&1; then SDK=yes; fi

cargo build --release --locked -q
WAN=$PWD/target/release/wan
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# start_emulator NAME ARGS...: starts `wan emulator --port 0 ARGS` and sets BASE to its URL.
start_emulator() {
  local name=$1; shift
  "$WAN" emulator --port 0 --seed 1 "$@" > "$work/$name.url" 2>/dev/null &
  pids+=($!)
  until [ -s "$work/$name.url" ]; do sleep 0.05; done
  BASE=$(head -1 "$work/$name.url")
}
export AISA_API_KEY=bench
median() { jq -r ".results[$2].median" "$1"; }
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $("$WAN" --version)"

echo "== 1. start-up"
hyperfine -N --warmup 20 --runs 300 --export-json "$work/startup.json" \
  "$WAN --version" "$WAN generate 'red panda' -n 4 --dry-run" >/dev/null
startup_version=$(median "$work/startup.json" 0)
startup_dry=$(median "$work/startup.json" 1)

echo "== 2. one request, n=4, URLs; API latency 500 ms, download latency 200 ms"
start_emulator single --latency 500 --download-latency 200 --size 512x512
export AISA_BASE_URL=$BASE OUT=$work/out
mkdir -p "$OUT"
contenders=("$WAN generate 'red panda' -n 4 -q -o $OUT" "bash bench/pipeline.sh")
[ "$SDK" = yes ] && contenders+=("python3 bench/sdk.py")
hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $OUT && mkdir -p $OUT" \
  --export-json "$work/single.json" "${contenders[@]}" >/dev/null
single_wan=$(median "$work/single.json" 0)
single_pipe=$(median "$work/single.json" 1)
single_sdk=$([ "$SDK" = yes ] && median "$work/single.json" 2 || echo "")

echo "== 3. a batch of 32 prompts, -j 8; API latency 500 ms"
start_emulator batch --latency 500 --size 256x256
export AISA_BASE_URL=$BASE
for i in $(seq 1 32); do echo "prompt number $i"; done > "$work/prompts.txt"
hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $OUT && mkdir -p $OUT" --export-json "$work/batch.json" \
  "$WAN generate -f $work/prompts.txt -j 8 -q -o $OUT" >/dev/null
batch_wan=$(median "$work/batch.json" 0)

echo "== 4. memory and CPU: n=4 base64 answers of about 6 MB per image"
start_emulator big --base64 --noise --size 1448x1448
export AISA_BASE_URL=$BASE
answer_bytes=$(curl -sS "$BASE/chat/completions" -H "Authorization: Bearer bench" \
  -d '{"model":"wan2.7-image","messages":[{"role":"user","content":[{"type":"text","text":"red panda"}]}],"n":4}' | wc -c)
: > "$work/memory.tsv"
for _ in $(seq 1 "$RUNS"); do
  rm -rf "$OUT" && mkdir -p "$OUT"
  /usr/bin/time -f "%M %U %S" -o "$work/time.txt" "$WAN" generate 'red panda' -n 4 -q -o "$OUT"
  read -r rss_kb user sys < "$work/time.txt"
  echo -e "$rss_kb\t$(awk "BEGIN { print $user + $sys }")" >> "$work/memory.tsv"
done
rss_mb=$(cut -f1 "$work/memory.tsv" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1024 }')
cpu_s=$(cut -f2 "$work/memory.tsv" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] }')
answer_mb=$(awk "BEGIN { printf \"%.1f\", $answer_bytes / 1048576 }")
rss_target=$(awk "BEGIN { printf \"%.1f\", 1.5 * $answer_bytes / 1048576 + 16 }")

verdict() { awk "BEGIN { exit !($1) }" && echo "met" || echo "MISSED"; }
echo
echo "| case | measured (median) | target | |"
echo "|---|---|---|---|"
echo "| 1. \`wan --version\` | $(ms "$startup_version") ms | < 3 ms | $(verdict "$startup_version < 0.003") |"
echo "| 1. \`wan generate --dry-run\` | $(ms "$startup_dry") ms | < 3 ms | $(verdict "$startup_dry < 0.003") |"
echo "| 2. \`wan\`, n=4 | $(ms "$single_wan") ms ($(awk "BEGIN { printf \"%.3f\", $single_wan / 0.7 }")× the 700 ms floor) | ≤ 1.10× floor | $(verdict "$single_wan <= 0.77") |"
echo "| 2. curl + jq + curl | $(ms "$single_pipe") ms ($(awk "BEGIN { printf \"%.2f\", $single_pipe / $single_wan }")× wan) | wan faster | $(verdict "$single_wan < $single_pipe") |"
[ -n "$single_sdk" ] && echo "| 2. OpenAI Python SDK | $(ms "$single_sdk") ms ($(awk "BEGIN { printf \"%.2f\", $single_sdk / $single_wan }")× wan) | wan faster | $(verdict "$single_wan < $single_sdk") |"
echo "| 3. 32 prompts, -j 8 | $(ms "$batch_wan") ms ($(awk "BEGIN { printf \"%.3f\", $batch_wan / 2.0 }")× the 2000 ms ideal) | ≤ 1.10× ideal | $(verdict "$batch_wan <= 2.2") |"
echo "| 4. peak RSS, answer of $answer_mb MB | $rss_mb MB | < $rss_target MB | $(verdict "$rss_mb < $rss_target") |"
echo "| 4. CPU (user + sys) | $cpu_s s | < 0.2 s | $(verdict "$cpu_s < 0.2") |"
