# npm packages of the web UI and the SDK, installed with `npm ci` from their lockfiles; skipped
# when node_modules already matches the lockfile. Playwright drives Debian's Chromium (an apt
# package), so it never downloads a browser.
node_setup() {
  command -v npm >/dev/null || { say "npm not found: install Node.js 20 (with npm) first"; exit 1; }
  local dir stamp wanted
  for dir in crates/web/ui sdk; do
    stamp="$dir/node_modules/.setup-lock-sha256"
    wanted="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
      continue
    fi
    say "installing npm packages in $dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$wanted" > "$stamp"
  done
  say "npm packages present"
}
