#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `aifactory detect SCRIPT [--json]`: exit codes (0 read, 1 not a training job or not read,
# 2 bad input), the JSON contract and the text that names lines and what is missing.
set -u
AIF=${AIF_BUILDDIR:?}/tools/aifactory
corpus=${AIF_SRCDIR:?}/fuzz/corpus/detect
# shellcheck source=tests/lib/testlib.sh
. "$AIF_SRCDIR/tests/lib/testlib.sh"
out=$(mktemp) big=$(mktemp)
trap 'rm -f "$out" "$big"' EXIT

"$AIF" detect "$corpus/megatron_llama8b.sh" --json > "$out"
check "a Megatron script exits 0" '[ $? -eq 0 ]'
check "JSON names the framework, values with lines, and what is missing" 'python3 - "$out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "detected" and d["framework"] == "Megatron-LM" and d["launcher"] == "srun torchrun"
v = {e["key"]: e for e in d["values"]}
assert v["layout"]["value"] == "tp=4,pp=2,sp=on" and v["mbs"]["value"] == "1" and v["mbs"]["line"] == 30
assert any(r["option"] == "--micro-batch-size" and r["line"] == 15 for r in d["read"])
assert len(d["missing"]) == 1 and "vocab" in d["missing"][0]
PY'

"$AIF" detect "$corpus/hf_deepspeed.sh" > "$out"
check "text names the program, launcher and line" 'grep -q "Hugging Face Trainer (run_clm.py), launched by deepspeed at line 13" "$out"'
check "text lists what is not determined" 'grep -q "gbs: mbs × gradient accumulation (8)" "$out"'
check "a config the script writes is read from its heredoc" 'grep -Eq "zero +3 +ds_config.json: zero_optimization.stage" "$out" && grep -q "written by the script" "$out"'

# The config files a script names are read as sbatch reads them (relative names from here).
data=$AIF_SRCDIR/tests/data/detect
work=$(mktemp -d) && trap 'rm -rf "$out" "$big" "$work"' EXIT
mkdir -p "$work/configs" && cp "$data/configs/llama-3-8b-fft.yaml" "$work/configs/"
(cd "$work" && "$AIF" detect "$data/axolotl_accelerate.sh" --json) > "$out"
check "axolotl: the YAML it names is read, the DeepSpeed JSON that names is not found" 'python3 - "$out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
v = {e["key"]: e["value"] for e in d["values"]}
assert v["model"] == "llama-3-8b" and v["seq"] == "8192" and v["framework"] == "deepspeed", v
assert d["configs"][0]["read"] is True, d["configs"]
assert any("zero3_bf16.json" in p for p in d["config_problems"]), d["config_problems"]
PY'
(cd "$work" && "$AIF" detect "$data/axolotl_accelerate.sh" --no-configs) > "$out"
check "--no-configs leaves the YAML unread" 'grep -q "llama-3-8b-fft.yaml may set it (not read)" "$out"'

"$AIF" detect "$corpus/neg_md.sh" > "$out"
check "an MD job exits 1, not a training job" '[ $? -eq 1 ] && grep -q "not a training job" "$out"'

head -c 2000000 /dev/zero | tr "\0" "#" > "$big"
"$AIF" detect "$big" --json > "$out"
check "a 2 MB script is refused (exit 1)" '[ $? -eq 1 ] && grep -q "\"refused\"" "$out"'

"$AIF" detect > /dev/null 2>&1
check "no SCRIPT is bad input (exit 2)" '[ $? -eq 2 ]'
finish
