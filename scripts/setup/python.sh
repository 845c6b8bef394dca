# Sourced by ./setup: the Python reference tools in .venv, installed from the pinned list.
python_setup() {
  local requirements=scripts/requirements.txt stamp=.venv/.requirements.sha256
  local wanted
  wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    say "Python venv present"
    return
  fi
  say "installing the Python reference tools into .venv (mlx-lm, transformers, …)"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
}
