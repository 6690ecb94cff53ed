#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `aifactory fit` / models / systems / validate as other tools call them: the JSON contract,
# exit codes (0 computed, 2 bad input) and messages that name the argument.
set -u
AIF=${AIF_BUILDDIR:?}/tools/aifactory
export AIFACTORY_DATADIR=${AIF_SRCDIR:?}/etc
# shellcheck source=tests/lib/testlib.sh
. "$AIF_SRCDIR/tests/lib/testlib.sh"
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$AIF" fit --model llama3.1-70b --system leonardo-booster --gpus 32 --layout tp=4,pp=4 --gbs 512 \
    --tokens 2T --json > "$out" 2> "$err"
check "fit --json exits 0" '[ $? -eq 0 ]'
check "JSON has the contract keys" 'python3 - "$out" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
need = ["params_total", "params_active", "per_gpu_bytes", "capacity_bytes", "verdict", "layout", "gpus",
        "nodes", "flops_per_token", "tokens_per_s", "train_hours", "gpu_hours"]
mem = ["weights", "gradients", "optimizer", "activations", "logits", "overhead", "allocated", "reserved", "total"]
assert all(k in d for k in need), [k for k in need if k not in d]
assert all(k in d["per_gpu_bytes"] for k in mem)
m = d["per_gpu_bytes"]
assert m["allocated"] <= m["reserved"] <= m["total"]
assert d["params_total"] == 70553706496 and d["gpus"] == 32 and d["nodes"] == 8
assert d["verdict"] == "does-not-fit" and d["layout"] == "tp=4,pp=4"
PY'

"$AIF" fit --model llama3.1-8b --where --json > "$out"
check "--where lists every catalogue partition" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); hw=json.load(open(sys.argv[2])); assert sorted(r[\"system\"] for r in d[\"where\"]) == sorted(p[\"id\"] for p in hw[\"partitions\"])" "$out" "$AIFACTORY_DATADIR/hardware.json"'

"$AIF" fit --model llama3.1-8b --system leonardo-booster > "$out"
check "without --gpus: smallest whole-node fit" 'grep -q "^Smallest fit: 1 node (4 GPUs)" "$out"'

# MXFP8 with Megatron: TransformerEngine's rowwise + columnwise MXFP8 weight workspaces, 2 x (1 + 1/32)
# B per parameter of its linear layers (32 x (attention 41,943,040 + MLP 176,160,768) = 6,979,321,856)
# beside the 2 B bf16 weights of all 8,030,261,248: 28.36 GiB.
"$AIF" fit --model llama3.1-8b --framework megatron --gpus 8 --gpu nvidia-b200-180gb --mbs 2 --seq 8192 \
    --precision mxfp8 > "$out"
check "fit --precision mxfp8 prints it and counts the MXFP8 weight copies" '[ $? -eq 0 ] && grep -q "^Setup      mxfp8, adamw, megatron" "$out" && grep -qE "^  weights +28\.36$" "$out"'

bad() {  # bad ARGS... : exit 2 and the message contains $want
    "$AIF" fit "$@" > "$out" 2> "$err"
    local rc=$?
    check "bad input '$*' exits 2 naming it" '[ $rc -eq 2 ] && grep -qF -- "$want" "$err"'
}
want="unknown model 'llama3-7b' (closest: llama2-7b, llama3-8b" bad --model llama3-7b --system lumi-g
want="unknown system 'lumi' (closest: lumi-g" bad --model llama2-7b --system lumi
want="--gpus: -8 is out of range" bad --model llama2-7b --system lumi-g --gpus -8
want="--mbs: 'many' is not a whole number" bad --model llama2-7b --system lumi-g --mbs many
want="--seq: sequence length must be a whole number of tokens up to 16M" bad --model llama2-7b --system lumi-g --seq 1e12
want="tp=3 does not divide the 32 attention heads" bad --model llama2-7b --system lumi-g --gpus 6 --layout tp=3
want="broken-syntax.json:2:27:" bad --config "$AIF_SRCDIR/tests/data/hf/broken-syntax.json" --system lumi-g
want="missing key 'num_attention_heads'" bad --config "$AIF_SRCDIR/tests/data/hf/broken-missing-key.json" --system lumi-g
want="--config: cannot read" bad --config /nonexistent.json --system lumi-g
want="give --system PARTITION" bad --model llama2-7b
want="--precision: 'fp6' is not one of bf16|fp16|fp32|fp8|mxfp8" bad --model llama2-7b --system lumi-g --precision fp6

"$AIF" models --json > "$out"
check "models --json lists the catalogue" 'python3 -c "import json,sys; ids={m[\"id\"] for m in json.load(open(sys.argv[1]))}; assert {\"llama2-7b\",\"llama3.1-70b\",\"mixtral-8x7b\",\"qwen2.5-72b\",\"deepseek-v3\",\"apertus-70b\",\"gpt3-175b\",\"bloom-176b\",\"gpt2-xl\",\"qwen3-8b\",\"qwen3-235b-a22b\"} <= ids" "$out"'
"$AIF" systems --json > "$out"
check "systems --json lists the required partitions" 'python3 -c "import json,sys; ids={p[\"id\"] for p in json.load(open(sys.argv[1]))}; assert {\"lumi-g\",\"leonardo-booster\",\"jupiter-booster\",\"jedi\",\"mn5-acc\",\"alps-gh200\",\"deucalion-gpu\",\"meluxina-gpu\",\"karolina-gpu\",\"vega-gpu\",\"discoverer-plus\",\"isambard-ai\",\"mn5-ai-gb200\",\"it4lia-gb200\"} <= ids" "$out"'
check "systems lists the Blackwell and MI3xx GPUs with their runtime memory" '"$AIF" systems --json > "$out" && python3 -c "import json,sys; d={p[\"id\"]: p for p in json.load(open(sys.argv[1]))}; assert d[\"it4lia-gb200\"][\"gpu\"] == \"nvidia-gb200-186gb\" and abs(d[\"it4lia-gb200\"][\"memory_gib\"] - 184.31) < 0.01 and d[\"mn5-ai-gb200\"][\"nodes\"] == 0" "$out" && "$AIF" fit --model llama3.1-70b --gpu amd-mi355x --gpus 8 --layout tp=8 > "$out" && "$AIF" fit --model llama3.1-70b --gpu nvidia-b200-180gb --gpus 8 --layout tp=8 > "$out" && "$AIF" fit --model llama3.1-70b --gpu amd-mi325x --gpus 8 --layout tp=8 > "$out"'
"$AIF" validate > "$out"
check "validate exits 0 and prints the summary" '[ $? -eq 0 ] && grep -q "within band" "$out"'
check "validate prints each profile's median and max residual and its band" 'grep -qE "^megatron@core_r0\.12 +[0-9]+ +[0-9.]+% +[0-9.]+%  -[0-9.]+\.\.\+[0-9.]+% .* ok  " "$out" && grep -qE "^torchtitan@2024\.12 " "$out"'
check "validate prints the median over high-confidence cases per profile" 'grep -qE "^torchtitan@2024\.12 .*  [0-9.]+% \(18 cases\)$" "$out" && grep -q "median, high-confidence cases$" "$out"'
check "validate prints one row per framework over its versions" 'grep -qE "^torchtitan +[0-9]+ +[0-9]+ +[0-9.]+% +[0-9.]+%  [0-9.]+% \([0-9]+ cases\)$" "$out" && ! grep -qE "^megatron " "$out"'

# Bands come from the cases: the shipped file is what --write-bands computes now.
bands=$(mktemp)
"$AIF" validate --write-bands "$bands" > "$out"
check "validate --write-bands reproduces the shipped etc/bands.json" '[ $? -eq 0 ] && cmp -s "$bands" "$AIF_SRCDIR/etc/bands.json"'
# A stored band that a case leaves fails validate (exit 1) and names the case.
python3 - "$bands" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["bands"]["deepspeed@0.16"] = {"lo": -0.01, "hi": 0.01, "cases": 6}
json.dump(d, open(sys.argv[1], "w"))
PY
"$AIF" validate --bands "$bands" > "$out"
check "a case outside its profile's stored band fails validate" '[ $? -eq 1 ] && grep -qE "^deepspeed@0\.16 .*OUTSIDE STORED BAND  " "$out" && grep -qE "^    M17-[^ ]+ leaves the stored band$" "$out"'
# An unexplained miss is never absorbed into a band: nothing is written.
cases=$(mktemp)
python3 - "$AIF_SRCDIR/etc/validation.json" "$cases" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["cases"]:
    if c["id"] == "M3": c["band"] = 0.001
json.dump(d, open(sys.argv[2], "w"))
PY
rm -f "$bands"
"$AIF" validate --cases "$cases" --write-bands "$bands" > "$out" 2> "$err"
check "--write-bands refuses an unexplained miss" '[ $? -eq 1 ] && [ ! -e "$bands" ] && grep -q "no band written" "$err"'
# A measured run the plugin would reject on its own GPU fails validate unless that rejection has its
# own recorded reason: M28-eager without its known_rejection; a band miss's known_miss does not do.
python3 - "$AIF_SRCDIR/etc/validation.json" "$cases" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["cases"]:
    if c["id"] == "M28-qwen3-14b-tp4-eager": c["known_miss"] = c.pop("known_rejection")
json.dump(d, open(sys.argv[2], "w"))
PY
"$AIF" validate --cases "$cases" --write-bands "$bands" > "$out" 2> "$err"
check "a run that worked, called does-not-fit on its GPU, fails validate and writes no band" '[ $? -eq 1 ] && [ ! -e "$bands" ] && grep -qxF "    REJECTS A RUN THAT WORKED: does-not-fit on nvidia-gh200-96gb" "$out" && grep -q "^79 measured runs judged on their GPU by the sbatch-time check: 1 called does-not-fit, 0 of them with a known reason$" "$out"'
"$AIF" validate > "$out"
check "with its known_rejection it is listed and validate passes" '[ $? -eq 0 ] && grep -qxF "    REJECTS A RUN THAT WORKED (known): does-not-fit on nvidia-gh200-96gb" "$out" && grep -q "^    known rejection: " "$out"'
rm -f "$cases" "$bands"

# Versioned framework profiles: listed with what they model, their source and their band.
"$AIF" models --frameworks > "$out"
check "models --frameworks lists every profile, the newest marked (fewer than 5 cases keep at least +-10 %)" 'grep -qxF "torchtitan@2025.06  band -10.9..+10.0% (3 cases)" "$out" && grep -qxF "torchtitan@2025.08  band -10.0..+10.0% (1 case)" "$out" && grep -qxF "torchtitan@2026.06 (newest: the bare name)  band -10.0..+10.0% (1 case of torchtitan@2025.08)" "$out" && grep -q "^megatron@core_r0\.12 (newest" "$out" && grep -q "^deepspeed@0\.16" "$out" && grep -q "^hf@4\.46 .*(default, no cases)" "$out" && grep -qxF "megatron@core_r0.12 (newest: the bare name)  band -10.0..+10.0% (2 cases)" "$out" && grep -q "^    source:  torchtitan/components/loss.py" "$out"'
"$AIF" models --frameworks --json > "$out"
check "models --frameworks --json" 'python3 -c "import json,sys; d={p[\"id\"]:p for p in json.load(open(sys.argv[1]))}; assert d[\"torchtitan@2024.12\"][\"band\"][\"cases\"]==18 and not d[\"torchtitan@2024.12\"][\"newest\"] and d[\"hf@4.46\"][\"band\"][\"from\"]==\"default\"" "$out"'
tt() { "$AIF" fit --model llama3.1-8b --system leonardo-booster --gpus 4 --fsdp --seq 8192 --json "$@"; }
tt --framework torchtitan@2024.12 > "$out"
check "--framework NAME@VERSION picks that profile" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"profile\"]==\"torchtitan@2024.12\" and d[\"total_lo_bytes\"] < d[\"per_gpu_bytes\"][\"total\"] < d[\"total_hi_bytes\"]" "$out"'
check "torchtitan@2025.06 compiled: its loss 4 not 12 bytes per logit; both keep the final norm, 6h+4 per token" 'tt --framework torchtitan@2025.06 --compile on | python3 -c "import json,sys; n=json.load(sys.stdin); o=json.load(open(sys.argv[1])); hd=8192*(6*4096+4); assert n[\"profile\"]==\"torchtitan@2025.06\" and abs((n[\"per_gpu_bytes\"][\"logits\"]-hd)*12 - (o[\"per_gpu_bytes\"][\"logits\"]-hd)*4) < 1e3" "$out"'
check "the bare name is the newest version (torchtitan@2026.06, chunked loss: 14 bytes per logit of one of 8 chunks, eager; the final norm and the fp32 gradient buffer, 10h+4 per token)" 'tt --framework torchtitan | python3 -c "import json,sys; n=json.load(sys.stdin); o=json.load(open(sys.argv[1])); hd=8192*(6*4096+4); hn=8192*(10*4096+4); assert n[\"profile\"]==\"torchtitan@2026.06\" and abs((n[\"per_gpu_bytes\"][\"logits\"]-hn)*12 - (o[\"per_gpu_bytes\"][\"logits\"]-hd)*14/8) < 1e3" "$out"'
check "--compile off gives torchtitan@2025.06 the eager loss of 2024.12" 'tt --framework torchtitan@2025.06 --compile off | python3 -c "import json,sys; n=json.load(sys.stdin); o=json.load(open(sys.argv[1])); assert n[\"per_gpu_bytes\"][\"logits\"] == o[\"per_gpu_bytes\"][\"logits\"] and n[\"per_gpu_bytes\"][\"activations\"] == o[\"per_gpu_bytes\"][\"activations\"]" "$out"'
check "fit says whether torch.compile is on (JSON compile; Setup line) where it changes the estimate: torchtitan blocks, torchtune loss" 'tt --framework torchtitan@2025.06 --compile on | grep -q "\"compile\": *true" && grep -q "\"compile\": *false" "$out" && "$AIF" fit --model llama3.1-8b --system leonardo-booster --gpus 4 --fsdp --framework torchtitan | grep -q "^Setup .*, flash on, compile off, seq" && ! "$AIF" fit --model llama3.1-8b --system leonardo-booster --gpus 4 --json | grep -q "\"compile\"" && "$AIF" fit --model llama3.1-8b --gpu-mem 80 --gpus 1 --framework torchtune --json | grep -q "\"compile\": *false"'

# What a user sees, word for word (issue 17). says RC 'first stderr line' ARGS...
says() {
    local rc=$1 want=$2; shift 2
    "$AIF" "$@" > "$out" 2> "$err"
    local got=$?
    check "aifactory $* exits $rc saying: $want" '[ $got -eq $rc ] && [ "$(head -n1 "$err")" = "$want" ]'
}
says 2 "aifactory fit: --modle: unknown option (did you mean --model?); see aifactory fit --help" \
    fit --modle llama2-7b --system lumi-g
says 2 "aifactory fit: --bogus: unknown option (did you mean --gpus?); see aifactory fit --help" \
    fit --model llama2-7b --system lumi-g --bogus
says 2 "aifactory bind: --frobnicate: unknown option; see aifactory bind --help" bind --frobnicate
says 2 "aifactory: unknown command 'fti' (did you mean fit?)" fti
says 2 "aifactory fit: --layout needs --gpus or --nodes (without them fit searches the layout itself)" \
    fit --model llama2-7b --system lumi-g --layout tp=2
says 2 "aifactory fit: --where and --system cannot be used together: --where compares every catalogue partition" \
    fit --model llama2-7b --where --system lumi-g
says 2 "aifactory fit: --where and --gpus cannot be used together: --where compares every catalogue partition" \
    fit --model llama2-7b --where --gpus 8
says 2 "aifactory fit: --model and --config cannot be used together: the config describes the whole model (use --arch to change it)" \
    fit --model llama2-7b --config "$AIF_SRCDIR/tests/data/hf/broken-syntax.json" --system lumi-g
says 2 "aifactory fit: --json: takes no value" fit --model llama2-7b --system lumi-g --json=1
says 2 "aifactory fit: --mbs: needs a value (N)" fit --model llama2-7b --system lumi-g --mbs
says 2 "aifactory fit: --config: cannot read /nonexistent.json: No such file or directory" \
    fit --config /nonexistent.json --system lumi-g
says 2 "aifactory fit: --config: cannot read /tmp: is a directory, not a file" fit --config /tmp --system lumi-g
says 2 "aifactory fit: /nonexistent.json: No such file or directory" \
    fit --model llama2-7b --system lumi-g --models /nonexistent.json
says 2 "aifactory validate: /tmp: is a directory, not a file" validate --cases /tmp
says 2 "aifactory validate: --bands: cannot read /nonexistent.json" validate --bands /nonexistent.json
says 2 "aifactory systems: /nonexistent.json: No such file or directory" systems --hardware /nonexistent.json
badhw=$(mktemp)
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d[\"gpus\"][0][\"fp8_gemm_non_tn\"]=\"yes\"; json.dump(d, open(sys.argv[2], \"w\"))" \
    "$AIFACTORY_DATADIR/hardware.json" "$badhw"
says 2 "aifactory systems: $badhw gpu 'nvidia-a100-sxm4-40gb': 'fp8_gemm_non_tn' must be true or false" \
    systems --hardware "$badhw"
rm -f "$badhw"

# fit respects the partition's size (issue 17): the search stops at the partition's nodes, a job
# bigger than the partition is said to be so, and the System line states the size.
says 0 "aifactory fit: llama3.1-405b on discoverer-plus: does not fit on this partition (2 nodes); it needs 11 nodes" \
    fit --model llama3.1-405b --system discoverer-plus
check "a fit beyond the partition prints no layout" '[ ! -s "$out" ]'
# DeepSeek-V3's 61 layers pipeline unevenly (issue 12): the search finds a fit beyond the partition.
says 0 "aifactory fit: deepseek-v3 on discoverer-plus: does not fit on this partition (2 nodes); it needs 16 nodes" \
    fit --model deepseek-v3 --system discoverer-plus
"$AIF" fit --model llama3.1-8b --system lumi-g --gpus 1000000 > "$out"
check "--gpus beyond the partition: verdict says so" 'grep -qxF "Verdict    does not fit on this partition (2978 nodes): the job needs 125000 nodes" "$out"'
check "the System line states the partition's size" 'grep -qxF "System     lumi-g: 8 x Instinct MI250X, one GCD per node, 2978 nodes" "$out"'
"$AIF" fit --model llama3.1-8b --system lumi-g --gpus 1000000 --json > "$out"
check "--gpus beyond the partition: JSON verdict does-not-fit" 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"verdict\"]==\"does-not-fit\" and d[\"partition_nodes\"]==2978" "$out"'

# The headroom used is said, and its default is the plugin's (aifactory.conf without Headroom=).
"$AIF" fit --model llama3.1-70b --system leonardo-booster > "$out"
check "fit says which headroom it uses" 'grep -qxF "Headroom   0% kept free (--headroom; the plugin'"'"'s default too, unless aifactory.conf sets Headroom=)" "$out"'
check "the usable row names the headroom" 'grep -qE "^  usable \(after 0% headroom\) +63\.32$" "$out"'
# The smallest fit is one whose band's upper end fits; the verdict shows the band; why this layout.
check "a smallest fit shows its band and fits at its upper end" 'grep -qxF "Verdict    fits: needs 55.4 GiB per GPU (50.4-61.6), 88% of usable memory; largest term: activations" "$out"'
check "fit says why it chose the layout" 'grep -qxF "Why        fewest whole nodes that fit; the only layout that fits there; pp=12: 7 layers on the first 8 stages, 6 on the others (80 layers)" "$out"'
check "fit names the worst pipeline stage" 'grep -qxF "Memory per GPU, first pipeline stage (rank 0, 7 layers; the worst) GiB" "$out"'
"$AIF" fit --model llama3.1-70b --system leonardo-booster --headroom 5% > "$out"
check "--headroom 5% is said and applied" 'grep -q "^Headroom   5% kept free" "$out" && grep -qE "^  usable \(after 5% headroom\) +60\.15$" "$out"'
"$AIF" fit --model llama3.1-70b --where > "$out"
check "--where has a band and a verdict column" 'grep -qE "^partition .* GiB/GPU \(band\) .* tokens/s  verdict$" "$out" && grep -qE "^leonardo-booster .* 55\.4 \(50\.4-61\.6\) +63\.3 +10\.7K  fits$" "$out" && grep -qE "^lumi-g .*  fits$" "$out"'
check "--where: a partition too small says its size" 'grep -qE "^vega-gpu +nvidia-a100-sxm4-40gb .*  does not fit on this partition \(60 nodes\)$" "$out"'
check "--where states the headroom" 'grep -qxF "Where can llama3.1-70b train (bf16, megatron@core_r0.12, recompute none, seq 4096, headroom 0%)?" "$out"'
# The band straddles usable memory: may not fit (sbatch accepts it with a warning).
"$AIF" fit --model llama3.1-8b --system leonardo-booster --gpus 4 --layout tp=4 --mbs 3 --headroom 5% > "$out"
check "a band across usable memory: may-not-fit" 'grep -qxF "Verdict    may-not-fit: needs 61.6 GiB per GPU (56.0-68.4), 102% of usable memory; largest term: optimizer states" "$out"'
# Under PP without --gbs the Layout line says how many micro-batches the estimate assumed.
"$AIF" fit --model llama3.1-8b --gpu-mem 80 --gpus 4 --layout pp=2 > "$out"
check "assumed micro-batches are said" 'grep -q "^Layout     pp=2 on 4 GPUs (1 node), data-parallel 2, 4 micro-batches per step (assumed: no --gbs)$" "$out"'
"$AIF" fit --model llama3.1-8b --gpu-mem 80 --gpus 4 --layout pp=2 --gbs 4 > "$out"
check "given micro-batches are not called assumed" 'grep -q "^Layout     pp=2 on 4 GPUs (1 node), data-parallel 2, 2 micro-batches per step$" "$out"'
# torchtune frees gradients between steps: a full fine-tune peaks at the end of backward, and
# fit says so (the logits line is 0 then); a LoRA job peaks at the loss, and fit says nothing.
tune() { "$AIF" fit --model llama3.2-3b --gpu-mem 80 --gpus 1 --framework torchtune --compile on --mbs 2 --seq 4096 --recompute full --master bf16 "$@"; }
tune > "$out"
check "the end-of-backward moment is said" 'grep -qxF "  at the end of backward: every gradient made (a tied embedding'"'"'s twice), the loss freed; the loss'"'"'s peak is lower" "$out" && grep -q "^  logits and loss  *0.00$" "$out"'
tune --lora 64 > "$out"
check "the loss's moment is not remarked" '! grep -q "end of backward" "$out" && ! grep -q "^  logits and loss  *0.00$" "$out"'
# The HF Trainer's foreach AdamW step (a state-sized temporary beside every gradient) is a moment too.
"$AIF" fit --model llama3.2-3b --gpu-mem 80 --gpus 1 --framework hf --seq 1024 --mbs 1 --recompute full > "$out"
check "the optimizer-step moment is said" 'grep -q "^  at the optimizer step: every gradient plus foreach AdamW" "$out"'
# torchtitan's chunked loss with a 32K vocabulary: the last block's backward (op SAC replays it) is the peak.
"$AIF" fit --model mistral-7b --framework torchtitan --gpus 8 --gpu nvidia-h100-sxm5-80gb --mbs 2 --seq 8192 --recompute selective > "$out"
check "the block-backward moment is said" 'grep -q "^  at a layer'"'"'s backward, after the loss: the layer rebuilt or replayed" "$out"'
"$AIF" fit --model llama2-70b --gpus 32 --gpu nvidia-h100-sxm5-80gb --layout tp=8,pp=4 --recompute full > "$out"
check "a first pipeline stage's layer backward names no loss" 'grep -qxF "  at a layer'"'"'s backward: the layer rebuilt or replayed for it beside the kept activations" "$out"'
"$AIF" fit --model mistral-7b --framework torchtitan --gpus 8 --gpu nvidia-h100-sxm5-80gb --mbs 2 --seq 8192 --recompute selective --json > "$out"
check "JSON names the block-backward moment" 'grep -q "\"peak_moment\": *\"block-backward\"" "$out"'
check "JSON names each moment" 'tune --json | grep -q "\"peak_moment\": *\"backward-end\"" && tune --lora 64 --json | grep -q "\"peak_moment\": *\"loss\"" && "$AIF" fit --model llama3.2-3b --gpu-mem 80 --gpus 1 --framework hf --seq 1024 --mbs 1 --recompute full --json | grep -q "\"peak_moment\": *\"optimizer-step\""'

# --fsdp takes its value as the synopsis shows it: `--fsdp full` = `--fsdp=full` = `--fsdp`.
fsdp() { "$AIF" fit --model llama2-7b --system lumi-g --gpus 8 --json "$@"; }
fsdp --fsdp full > "$out" 2> "$err"
check "--fsdp full is accepted" '[ $? -eq 0 ] && [ ! -s "$err" ]'
check "--fsdp full = --fsdp=full = bare --fsdp" 'fsdp --fsdp=full | cmp -s - "$out" && fsdp --fsdp | cmp -s - "$out"'
check "--fsdp full shards the weights" '! fsdp | cmp -s - "$out"'
fsdp --dist-opt on > "$out"
check "--dist-opt on = bare --dist-opt" 'fsdp --dist-opt | cmp -s - "$out"'

# --help and -h on every command: usage on stdout, exit 0, nothing on stderr.
for c in fit models systems validate detect bind sender spool collector report; do
    for h in --help -h; do
        "$AIF" $c $h > "$out" 2> "$err"
        check "$c $h prints its usage and exits 0" '[ $? -eq 0 ] && [ ! -s "$err" ] && head -n1 "$out" | grep -q "^usage: aifactory $c " && grep -q "^  --help " "$out"'
    done
done
"$AIF" fit --help > "$out"
check "fit --help lists every option the parser takes" '(for o in model config arch system gpu gpu-mem gpus-per-node gpus nodes where layout zero fsdp dist-opt offload mbs gbs seq precision optimizer recompute flash compile ac-every framework tokens mfu headroom json models hardware; do grep -q "^  --$o[ \[]" "$out" || exit 1; done)'
check "fit --help shows --fsdp's optional value" 'grep -q "^  --fsdp \[off|full|hybrid\] " "$out"'
"$AIF" bind --help > "$out"
check "bind --help shows -n as --tasks" 'grep -q "^  -n, --tasks N " "$out"'
version=$(sed -n 's/^AC_INIT(\[aifactory\], \[\([^]]*\)\].*/\1/p' "$AIF_SRCDIR/configure.ac")
"$AIF" --version > "$out" 2> "$err"
check "--version prints the package version ($version)" '[ $? -eq 0 ] && [ "$(cat "$out")" = "aifactory $version" ] && [ ! -s "$err" ]'

# The manual documents every option the tables accept (the tables print --help).
for c in fit models systems validate detect; do
    "$AIF" $c --help > "$out"
    for o in $(sed -n 's/^  \(-., \)\{0,1\}--\([a-z-]*\).*/\2/p' "$out"); do
        [ "$o" = help ] && continue
        check "man/aifactory.1 documents $c --$o" 'grep -qF -- "\\-\\-$(printf %s "$o" | sed "s/-/\\\\-/g")" "$AIF_SRCDIR/man/aifactory.1"'
    done
done

finish
