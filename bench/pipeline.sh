#!/usr/bin/env bash
# What a user would write by hand: one curl for the answer, jq for the URLs, one curl per URL.
# Needs AISA_BASE_URL, AISA_API_KEY and OUT (the folder for the images).
set -euo pipefail
curl -sS "$AISA_BASE_URL/chat/completions" \
  -H "Authorization: Bearer $AISA_API_KEY" -H 'Content-Type: application/json' \
  -d '{"model":"wan2.7-image","messages":[{"role":"user","content":[{"type":"text","text":"red panda"}]}],"n":4}' |
  jq -r '.choices[].message.content[].image' |
  { i=0; while read -r url; do i=$((i + 1)); curl -sS -o "$OUT/red-panda-$i.png" "$url"; done; }
