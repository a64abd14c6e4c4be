#!/usr/bin/env bash
# Drive the real server with the MCP inspector CLI (@modelcontextprotocol/inspector 2.12.0):
# tools/list, resources, resource templates and prompts; remember a fact about a user, restart the
# server, recall it by a word it contains, check it comes back first with its id, then read it back
# as the cortex://memories/{id} resource and get the what-do-you-know prompt. Needs Node 20+ and npm; uses ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SERVER="$ROOT/.venv/bin/cortex-mcp"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x tools/inspector/node_modules/.bin/mcp-inspector ]; then
  (cd tools/inspector && npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent)
fi
inspect() {
  (cd "$ROOT/tools/inspector" && npx --no-install mcp-inspector --cli "$SERVER" \
    -e CORTEX_DB_PATH="$WORK/cortex.db" -e CORTEX_USER_ID=alex -e CORTEX_AGENT_ID=inspector "$@")
}

tools=$(inspect --method tools/list)
for name in remember recall forget get_profile; do
  grep -q "\"name\": \"$name\"" <<<"$tools" || { echo "inspector: tool $name missing from tools/list" >&2; exit 1; }
done
grep -q '"cortex://recent"' <<<"$(inspect --method resources/list)" \
  || { echo "inspector: cortex://recent missing from resources/list" >&2; exit 1; }
grep -q 'cortex://users/{user_id}/profile' <<<"$(inspect --method resources/templates/list)" \
  || { echo "inspector: profile template missing from resources/templates/list" >&2; exit 1; }
prompts=$(inspect --method prompts/list)
for name in remember-this what-do-you-know catch-up; do
  grep -q "\"name\": \"$name\"" <<<"$prompts" || { echo "inspector: prompt $name missing from prompts/list" >&2; exit 1; }
done

saved=$(inspect --method tools/call --tool-name remember \
  --tool-args-json '{"content": "Alex keeps a pet tortoise named Sheldon", "importance": 80}' --format json -q)
memory_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["structuredContent"]["memories"][0]["memory_id"])' <<<"$saved")

# A fresh server process (restart) on the same database.
found=$(inspect --method tools/call --tool-name recall --tool-arg query=tortoise --format json -q)
first=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["structuredContent"]["items"][0]["id"])' <<<"$found")
if [ "$first" != "$memory_id" ]; then
  echo "inspector: recall returned $first first, expected $memory_id" >&2
  exit 1
fi
grep -q "Sheldon" <<<"$(inspect --method resources/read --uri "cortex://memories/$memory_id")" \
  || { echo "inspector: resources/read cortex://memories/$memory_id lacks the memory" >&2; exit 1; }
grep -q "get_profile" <<<"$(inspect --method prompts/get --prompt-name what-do-you-know --prompt-args user_id=alex)" \
  || { echo "inspector: prompts/get what-do-you-know does not call get_profile" >&2; exit 1; }
echo "inspector: tools/list, resources, templates, prompts ok; remember -> $memory_id; restart;" \
  "recall('tortoise') -> $first first; resource and prompt read back: ok"
