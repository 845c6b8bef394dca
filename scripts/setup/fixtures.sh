# Sourced by ./setup: the model fixtures the engine's tests run on, built into .fixtures/.
#   tiny-{llama,qwen2,qwen3}        deterministic random weights, trained BPE tokenizer, ChatML
#   tiny-{llama,qwen2,qwen3}-4bit   the same, quantized by mlx_lm (affine, 4 bits, group 32)
fixtures_setup() {
  local stamp=.fixtures/.stamp wanted
  wanted="$(cat scripts/fixtures/make_tiny_model.py scripts/requirements.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    say "model fixtures present"
    return
  fi
  say "building model fixtures into .fixtures"
  rm -rf .fixtures && mkdir -p .fixtures
  local arch extra
  for arch in llama qwen2 qwen3; do
    extra=()
    [ "$arch" = llama ] && extra=(--tie)  # covers tied embeddings
    .venv/bin/python scripts/fixtures/make_tiny_model.py ".fixtures/tiny-$arch" \
      --arch "$arch" --hidden 128 "${extra[@]}" >/dev/null
    HF_HUB_OFFLINE=1 .venv/bin/python -m mlx_lm convert --hf-path ".fixtures/tiny-$arch" \
      --mlx-path ".fixtures/tiny-$arch-4bit" -q --q-bits 4 --q-group-size 32 >/dev/null
  done
  echo "$wanted" >"$stamp"
}
