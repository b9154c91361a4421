#!/usr/bin/env bash
# Benchmarks `wan` against what users would otherwise write, and at scale (see BENCHMARKS.md).
# Installs what it needs, builds the release binary, starts `wan emulator` with fixed
# latencies, and measures every case side by side in one run. Numbers are medians of
# repeated runs.
# Usage: bench/run.sh   (RUNS=N timed runs of cases 2-4, default 10; BATCH_RUNS=N runs of
#                        cases 5-6, default 5; QUICK=1 leaves out the slow cases 7 and 8;
#                        WAN=path measures that wan binary, client and emulator, without
#                        building this one)
set -euo pipefail
# WAN=path, if given, is read from where the script was started.
if [ -n "${WAN:-}" ]; then WAN=$(realpath -m -- "$WAN"); fi
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
BATCH_RUNS=${BATCH_RUNS:-5}
QUICK=${QUICK:-0}

install() { # command, Debian package
  command -v "$1" >/dev/null 2>&1 && return
  apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null
}
install hyperfine hyperfine
install jq jq
install curl curl
install wrk wrk
[ -x /usr/bin/time ] || { apt-get update -qq >/dev/null && apt-get install -y -qq time >/dev/null; }
SDK=no
if python3 -c 'import openai' 2>/dev/null || pip install -q openai >/dev/null 2>&1; then SDK=yes; fi

if [ -n "${WAN:-}" ]; then # a prebuilt binary (to compare two builds, say): no build
  [ -f "$WAN" ] && [ -x "$WAN" ] || { echo "bench/run.sh: WAN=$WAN is not an executable file" >&2; exit 2; }
else
  cargo build --release --locked -q
  WAN=$PWD/target/release/wan
fi
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
# The journal is on, as for any user, but in a folder of the benchmark's own; no config
# file of the machine's is read.
export WAN_STATE_DIR=$work/state WAN_CONFIG=$work/no-config.toml

# start_emulator NAME ARGS...: starts `wan emulator --port 0 ARGS` and sets BASE to its URL;
# its log (one line per request) goes to $work/NAME.log.
start_emulator() {
  local name=$1; shift
  # A balance that pays for every case: the default $100 runs out within case 5.
  "$WAN" emulator --port 0 --seed 1 --balance 100000000 "$@" > "$work/$name.url" 2>"$work/$name.log" &
  pids+=($!)
  until [ -s "$work/$name.url" ]; do sleep 0.05; done
  BASE=$(head -1 "$work/$name.url")
}
export AISA_API_KEY=bench
median() { jq -r ".results[$2].median" "$1"; }
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }
# median_of FILE COLUMN: the median of a column of numbers.
median_of() { cut -f"$2" "$1" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# timed FILE CMD...: runs CMD, appends "wall_s<TAB>rss_kb<TAB>cpu_s<TAB>exit_code" to FILE.
# The wall time is read from the clock in nanoseconds: time's own is to 10 ms.
timed() {
  local file=$1 code=0 start end; shift
  start=$(date +%s%N)
  /usr/bin/time -f "%M %U %S" -o "$work/time.txt" "$@" >/dev/null || code=$?
  end=$(date +%s%N)
  read -r rss user sys < <(grep -v '^Command' "$work/time.txt")
  echo -e "$(awk "BEGIN { print ($end - $start) / 1e9 }")\t$rss\t$(awk "BEGIN { print $user + $sys }")\t$code" >> "$file"
}
prompts() { seq 1 "$1" | sed 's/^/prompt number /' > "$work/p$1.txt"; }

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
prompts 32
hyperfine --warmup 1 --runs "$RUNS" --prepare "rm -rf $OUT && mkdir -p $OUT" --export-json "$work/batch.json" \
  "$WAN generate -f $work/p32.txt -j 8 -q -o $OUT" >/dev/null
batch_wan=$(median "$work/batch.json" 0)

echo "== 4. memory and CPU: n=4 base64 answers of 32 MB and 128 MB"
answer_mb() { # the size of the answer the emulator at BASE gives, in MB
  curl -sS "$BASE/chat/completions" -H "Authorization: Bearer bench" \
    -d '{"model":"wan2.7-image","messages":[{"role":"user","content":[{"type":"text","text":"red panda"}]}],"n":4}' |
    wc -c | awk '{ printf "%.1f", $1 / 1048576 }'
}
for size in 1448 2896; do
  start_emulator "big$size" --base64 --noise --size "${size}x${size}"
  export AISA_BASE_URL=$BASE
  declare "answer_$size=$(answer_mb)"
  for _ in $(seq 1 "$RUNS"); do
    rm -rf "$OUT" && mkdir -p "$OUT"
    timed "$work/memory$size.tsv" "$WAN" generate 'red panda' -n 4 -q -o "$OUT"
  done
done
rss_small=$(awk "BEGIN { printf \"%.1f\", $(median_of "$work/memory1448.tsv" 2) / 1024 }")
cpu_small=$(median_of "$work/memory1448.tsv" 3)
rss_large=$(awk "BEGIN { printf \"%.1f\", $(median_of "$work/memory2896.tsv" 2) / 1024 }")
cpu_large=$(median_of "$work/memory2896.tsv" 3)

# Every run of cases 5-7 writes into a folder of its own, removed only at the end: ext4
# skips recently deleted inodes when it makes a file, so removing thousands of files
# between runs makes the next ones slower, and the more so the larger the batch.
fresh_out() { mktemp -d "$work/run.XXXXXX"; }

echo "== 5. batches of 500, 4,000 and 20,000 prompts, -j 16, tiny pictures: time per prompt"
start_emulator tiny --size 8x8
export AISA_BASE_URL=$BASE
for n in 500 4000 20000; do prompts "$n"; done
# Interleaved, so that what else the machine does weighs on every size alike.
for _ in $(seq 1 "$BATCH_RUNS"); do
  for n in 500 4000 20000; do
    timed "$work/batch$n.tsv" "$WAN" generate -f "$work/p$n.txt" -j 16 -q -o "$(fresh_out)"
  done
done
for n in 500 4000 20000; do
  declare "per_prompt_$n=$(awk "BEGIN { printf \"%.3f\", $(median_of "$work/batch$n.tsv" 1) / $n * 1000 }")"
done

echo "== 6. 4,000 prompts into a folder of 100,000 files and into an empty one"
full=$work/full
mkdir -p "$full"
(cd "$full" && seq 1 100000 | sed 's/^/earlier-picture-/; s/$/-001.png/' | xargs touch)
for _ in $(seq 1 "$BATCH_RUNS"); do
  timed "$work/empty.tsv" "$WAN" generate -f "$work/p4000.txt" -j 16 -q -o "$(fresh_out)"
  timed "$work/full.tsv" "$WAN" generate -f "$work/p4000.txt" -j 16 -q -o "$full"
done
empty_s=$(median_of "$work/empty.tsv" 1)
full_s=$(median_of "$work/full.tsv" 1)

if [ "$QUICK" != 1 ]; then
  echo "== 7. peak memory of a batch of 100,000 prompts"
  prompts 100000
  timed "$work/huge.tsv" "$WAN" generate -f "$work/p100000.txt" -j 16 -q -o "$(fresh_out)"
  huge_rss=$(awk "BEGIN { printf \"%.1f\", $(median_of "$work/huge.tsv" 2) / 1024 }")
  per_prompt_100000=$(awk "BEGIN { printf \"%.3f\", $(median_of "$work/huge.tsv" 1) / 100 }")

  echo "== 8. --rpm pacing: 300 prompts, -j 16, against the emulator's --rpm 600 (ideal 30 s)"
  prompts 300
  start_emulator limited --rpm 600 --size 8x8
  export AISA_BASE_URL=$BASE
  timed "$work/rpm.tsv" "$WAN" generate -f "$work/p300.txt" -j 16 --rpm 600 -q -o "$(fresh_out)"
  rpm_s=$(printf "%.1f" "$(median_of "$work/rpm.tsv" 1)")
  rpm_exit=$(cut -f4 "$work/rpm.tsv")
  rpm_429=$(grep -c ' 429 ' "$work/limited.log" || true)
  start_emulator headers --rpm 600 --size 8x8
  export AISA_BASE_URL=$BASE
  timed "$work/headers.tsv" "$WAN" generate -f "$work/p300.txt" -j 16 -q -o "$(fresh_out)"
  headers_s=$(printf "%.1f" "$(median_of "$work/headers.tsv" 1)")
  headers_exit=$(cut -f4 "$work/headers.tsv")
  headers_429=$(grep -c ' 429 ' "$work/headers.log" || true)
fi

echo "== 9. the emulator's own speed: 5 s of small chat requests, 16 connections"
start_emulator speed --size 64x64
cat > "$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"model":"wan2.7-image","n":1,"messages":[{"role":"user","content":[{"type":"text","text":"red panda"}]}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench"
EOF
emulator_rps=$(wrk -t 2 -c 16 -d 5s -s "$work/post.lua" "$BASE/chat/completions" | awk '/Requests\/sec/ { printf "%.0f", $2 }')

verdict() { awk "BEGIN { exit !($1) }" && echo "met" || echo "MISSED"; }
# exits FILE...: "" when every timed run of the files ended 0, else the codes met.
exits() { local codes; codes=$(cut -f4 "$@" | sort -u | tr '\n' ' '); [ "$codes" = "0 " ] || echo " (exit codes: $codes)"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo
echo "| case | measured (median) | target | |"
echo "|---|---|---|---|"
echo "| 1. \`wan --version\` | $(ms "$startup_version") ms | < 3 ms | $(verdict "$startup_version < 0.003") |"
echo "| 1. \`wan generate --dry-run\` | $(ms "$startup_dry") ms | < 3 ms | $(verdict "$startup_dry < 0.003") |"
echo "| 2. \`wan\`, n=4 | $(ms "$single_wan") ms ($(awk "BEGIN { printf \"%.3f\", $single_wan / 0.7 }")× the 700 ms floor) | ≤ 1.10× floor | $(verdict "$single_wan <= 0.77") |"
echo "| 2. curl + jq + curl | $(ms "$single_pipe") ms ($(ratio "$single_pipe" "$single_wan")× wan) | wan faster | $(verdict "$single_wan < $single_pipe") |"
[ -n "$single_sdk" ] && echo "| 2. OpenAI Python SDK | $(ms "$single_sdk") ms ($(ratio "$single_sdk" "$single_wan")× wan) | wan faster | $(verdict "$single_wan < $single_sdk") |"
echo "| 3. 32 prompts, -j 8 | $(ms "$batch_wan") ms ($(awk "BEGIN { printf \"%.3f\", $batch_wan / 2.0 }")× the 2000 ms ideal) | ≤ 1.10× ideal | $(verdict "$batch_wan <= 2.2") |"
echo "| 4. peak RSS, answer of $answer_1448 MB | $rss_small MB | ≤ 24 MB | $(verdict "$rss_small <= 24") |"
echo "| 4. CPU (user + sys), answer of $answer_1448 MB | $cpu_small s | ≤ 0.10 s | $(verdict "$cpu_small <= 0.10") |"
echo "| 4. peak RSS, answer of $answer_2896 MB | $rss_large MB | ≤ 24 MB | $(verdict "$rss_large <= 24") |"
echo "| 4. CPU (user + sys), answer of $answer_2896 MB | $cpu_large s | (4× the data) | |"
echo "| 5. 500 prompts, -j 16 | $per_prompt_500 ms a prompt$(exits "$work/batch500.tsv") | | |"
echo "| 5. 4,000 prompts, -j 16 | $per_prompt_4000 ms a prompt$(exits "$work/batch4000.tsv") ($(ratio "$per_prompt_4000" "$per_prompt_500")× 500's) | ≤ 1.2× 500's | $(verdict "$per_prompt_4000 <= 1.2 * $per_prompt_500") |"
echo "| 5. 20,000 prompts, -j 16 | $per_prompt_20000 ms a prompt$(exits "$work/batch20000.tsv") ($(ratio "$per_prompt_20000" "$per_prompt_500")× 500's) | ≤ 1.2× 500's | $(verdict "$per_prompt_20000 <= 1.2 * $per_prompt_500") |"
echo "| 6. 4,000 prompts into 100,000 files | $(ms "$full_s") ms$(exits "$work/empty.tsv" "$work/full.tsv") ($(ratio "$full_s" "$empty_s")× into an empty folder, $(ms "$empty_s") ms) | ≤ 1.5× | $(verdict "$full_s <= 1.5 * $empty_s") |"
if [ "$QUICK" != 1 ]; then
  echo "| 7. peak RSS, 100,000 prompts | $huge_rss MB$(exits "$work/huge.tsv") ($per_prompt_100000 ms a prompt) | ≤ 64 MB | $(verdict "$huge_rss <= 64") |"
  echo "| 8. \`--rpm 600\`, 300 prompts, -j 16 | $rpm_s s ($(ratio "$rpm_s" 30)× the 30 s ideal), $rpm_429 429s, exit $rpm_exit | ≤ 1.1× ideal, ≤ 3 429s | $(verdict "$rpm_s <= 33 && $rpm_429 <= 3 && $rpm_exit == 0") |"
  echo "| 8. headers only (no \`--rpm\`), same batch | $headers_s s ($(ratio "$headers_s" 30)× the ideal), $headers_429 429s, exit $headers_exit | (for comparison) | |"
fi
echo "| 9. emulator, small chat requests | $emulator_rps a second | ≥ 2,000 a second | $(verdict "$emulator_rps >= 2000") |"
