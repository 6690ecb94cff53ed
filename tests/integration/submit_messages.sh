#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 17: what sbatch/srun users read is true. Slurm's closing line names the real reason
# for each refusal; good news never reads as the reason for a failure; the time limit is
# compared with the estimate; assumptions are said; config.json models are named.
source "$(dirname "$0")/submit_lib.sh"
start_cluster

# A wrong --llm-* option is a "Bad argument" (ESPANK_BAD_ARG), not a gres problem.
as_user sbatch --llm-model=llama9-999b -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "unknown model rejected"
expect_line "$ERR" "^sbatch: error: aifactory: unknown model 'llama9-999b' \(closest: " "unknown model named"
expect_line "$ERR" '^sbatch: error: Batch job submission failed: Bad argument$' "unknown model: Bad argument"
expect_no_line "$ERR" 'Invalid generic resource' "unknown model: no gres line"
as_user sbatch --test-only --llm-model=llama9-999b -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_line "$ERR" '^allocation failure: Bad argument$' "--test-only: Bad argument"
as_user srun --llm-model=llama9-999b -N 1 --gpus-per-node=4 --mem=100 true
expect_line "$ERR" '^srun: error: Unable to allocate resources: Bad argument$' "srun: Bad argument"
as_user sbatch --llm-model=llama3.1-8b --llm-gbs=6 -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_line "$ERR" '^sbatch: error: aifactory: .*gbs' "bad --llm-gbs named"
expect_line "$ERR" '^sbatch: error: Batch job submission failed: Bad argument$' "bad --llm-gbs: Bad argument"
# Does not fit: the GPU request is the problem, so the gres line stays.
as_user srun --llm-model=llama3.1-70b -N 1 --gpus-per-node=4 --mem=100 true
expect_line "$ERR" '^srun: error: Unable to allocate resources: Invalid generic resource \(gres\) specification$' \
    "does not fit: gres line"

# Slurm refuses a job that aifactory passed: our line reads as good news even under "error:".
as_user sbatch --test-only --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 \
    --mem=100000000 --wrap true
expect_rc 1 "Slurm refuses an impossible --mem"
expect_line "$ERR" '^sbatch: error: aifactory: OK, llama3\.1-8b fits: needs [0-9.]+ GiB per GPU$' "OK line"
expect_line "$ERR" '^allocation failure: Requested node configuration is not available$' "Slurm's own reason last"
expect_no_line "$ERR" 'allocation failure: (Invalid generic|Bad argument)' "not blamed on aifactory"

# The time limit: 2T tokens in 1 h is accepted with how much one job does and how many jobs.
as_user sbatch --test-only --llm-model=llama3.1-8b --llm-layout=tp=4 --llm-seq=4096 --llm-mbs=1 \
    --llm-recompute=none --llm-tokens=2T -t 01:00:00 -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 0 "2T tokens in 1 h accepted"
expect_line "$ERR" '^sbatch: aifactory: est\. [0-9.]+ years, [0-9.]+K GPU-hours on 4 GPUs$' "years, not days"
expect_line "$ERR" '^sbatch: aifactory: the 1 h limit \(-t\) holds [0-9.]+M of 2T tokens: the run$' "tokens per job"
expect_line "$ERR" '^sbatch:   needs [0-9]+ jobs$' "jobs needed"
expect_no_line "$ERR" 'assumed' "nothing assumed when all is given"
grep -v ' to start at ' "$ERR" >ours.err  # Slurm's own --test-only answer is long
expect_narrow ours.err "time limit lines"
# Under MinProgress (30 min by default): the job cannot make progress; the time-limit error.
as_user sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 -t 10 -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "10 min limit rejected"
expect_line "$ERR" '^sbatch: error: aifactory: the 10 min limit \(-t\) is under MinProgress=30 min: the$' "too short said"
expect_line "$ERR" '^sbatch: error:   job cannot reach a checkpoint; ask for --time=30:00 or more$' "what to ask for"
expect_line "$ERR" '^sbatch: error: Batch job submission failed: Requested time limit is invalid' "time-limit error"
# Small runs read honestly.
as_user sbatch --test-only --llm-model=llama3.1-8b --llm-layout=tp=4 --llm-tokens=1M -N 1 \
    --gpus-per-node=4 --mem=100 --wrap true
expect_line "$ERR" '^sbatch: aifactory: est\. 1 min, <0\.1 GPU-hours on 4 GPUs$' "no '0 GPU-hours'"
# What was assumed is said, as the options that set it.
expect_line "$ERR" '^sbatch: aifactory: assumed \(not given\): --llm-seq=4096 --llm-mbs=1$' "assumed seq, mbs"
expect_line "$ERR" '^sbatch:   --llm-recompute=none$' "assumed recompute"
as_user sbatch --test-only --llm-model=llama3.1-8b -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_line "$ERR" '--llm-layout=tp=1 \(dp only\)' "assumed layout"

# config.json models are named by the config; --llm-model with --llm-config is an error.
cat >config.json <<'J'
{"_name_or_path": "meta-llama/Llama-3.2-1B", "architectures": ["LlamaForCausalLM"],
 "model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
 "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
 "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": true}
J
chmod 644 config.json
as_user sbatch --test-only --llm-config=config.json -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_line "$ERR" '^sbatch: aifactory: OK, Llama-3\.2-1B fits: ' "named by _name_or_path"
as_user sbatch --llm-config=config.json --llm-model=llama3.1-70b -N 1 --gpus-per-node=4 --mem=100 --wrap true
expect_rc 1 "model and config together rejected"
expect_line "$ERR" '^sbatch: error: aifactory: --llm-model=llama3\.1-70b and --llm-config=config\.json$' "both named"
expect_line "$ERR" '^sbatch: error:   both describe the model; give one of them$' "what to do"

# One rounding rule: sbatch's capacity is the record's 0.01 GiB figure rounded half up.
as_user sbatch --llm-model=llama3.1-8b --llm-layout=tp=4 -N 1 --gpus-per-node=4 --mem=100 \
    -o pred.%j.out --wrap 'echo "$AIFACTORY_PREDICTION"'
shown=$(sed -n 's/^sbatch:   ([0-9.-]*) of \([0-9.]*\) usable$/\1/p' "$ERR")
id=$(job_id_of "$OUT")
cluster_wait_job "$id" 30 >/dev/null
kept=$(sed -n 's/.*capacity_gib=\([0-9.]*\);.*/\1/p' "pred.$id.out")
want=$(awk -v c="$kept" 'BEGIN { h = int(c * 100 + 0.5); printf "%.1f", int((h + 5) / 10) / 10 }')
[ -n "$shown" ] && [ "$shown" = "$want" ] && ok "capacity $shown GiB = record's $kept rounded" ||
    fail "sbatch shows '$shown' GiB, record keeps '$kept' (want '$want')"
finish
