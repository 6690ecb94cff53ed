#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# --llm-config: a Hugging Face config.json is read and validated by sbatch (the controller never
# sees the user's files) and forwarded in compact form; broken ones fail on the client.
source "$(dirname "$0")/submit_lib.sh"
# Site defaults from plugstack.conf: a directory of site-provided configs and a default framework.
site_configs=$(mktemp -d /tmp/aif-site-configs.XXXXXX)
chmod 755 "$site_configs"
CLUSTER_SPANK_ARGS="config_dir=$site_configs default_framework=fsdp default_colour=blue"
start_cluster
trap 'cluster_stop; rm -rf "$site_configs"' EXIT

cat >config.json <<'J'
{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
 "intermediate_size": 8192, "num_attention_heads": 32, "num_hidden_layers": 16,
 "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
 "tie_word_embeddings": true, "torch_dtype": "bfloat16"}
J
chmod 644 config.json
as_user sbatch --llm-config=config.json -N 1 --gpus-per-node=4 --mem=100 -o cfg.%j.out \
    --wrap 'echo "pred=$AIFACTORY_PREDICTION"'
expect_rc 0 "1B model from config.json accepted"
expect_line "$ERR" '^sbatch: aifactory: OK, LlamaForCausalLM fits: needs [0-9.]+ GiB per GPU' "prediction for a config.json model"
expect_line "$CLUSTER_ROOT/log/slurmctld.log" 'gpus=4: accept' "controller checked it"

expect_line "$ERR" "aifactory: plugstack.conf argument 'default_colour=blue' ignored" "bad plugstack.conf argument reported"
id=$(job_id_of "$OUT")
cluster_wait_job "$id" 30 >/dev/null
expect_line "cfg.$id.out" '^pred=verdict=fits;' "prediction for the config.json model"

# A name from the site's config_dir; default_framework=fsdp is forwarded unless the user sets one.
cp config.json "$site_configs/site-llama-1b.json"
chmod 644 "$site_configs/site-llama-1b.json"
as_user sbatch --llm-config=site-llama-1b.json -N 1 --gpus-per-node=4 --mem=100 -o site.%j.out \
    --wrap 'env | grep -c "_SLURM_SPANK_OPTION_aifactory_llm_framework=fsdp"'
expect_rc 0 "config found in config_dir"
id=$(job_id_of "$OUT")
cluster_wait_job "$id" 30 >/dev/null
expect_line "site.$id.out" '^[1-9]' "default_framework forwarded with the job"

# The same architecture, far too big for one GPU: rejected by the controller.
sed 's/"num_hidden_layers": 16/"num_hidden_layers": 400/; s/"hidden_size": 2048/"hidden_size": 16384/' \
    config.json >big.json
chmod 644 big.json
as_user sbatch --llm-config=big.json -N 1 --gpus-per-node=1 --mem=100 --wrap true
expect_rc 1 "huge config.json model rejected"
expect_line "$ERR" 'does not fit in GPU memory' "controller verdict for the forwarded architecture"

# Client-side errors: each names --llm-config and what is wrong; nothing reaches the queue.
echo '{"model_type": "llama", "hidden_size": 2048' >broken.json
echo '{"model_type": "llama", "hidden_size": 2048}' >partial.json
echo '{"model_type": "qwerty", "hidden_size": 1}' >unknown.json
chmod 644 ./*.json
as_user sbatch --llm-config=broken.json -N 1 --gpus-per-node=4 --wrap true
[ "$RC" -ne 0 ] && ok "malformed JSON fails on the client" || fail "malformed JSON accepted"
expect_line "$ERR" '^sbatch: error: --llm-config: .*broken\.json' "malformed JSON named"
as_user sbatch --llm-config=partial.json -N 1 --gpus-per-node=4 --wrap true
expect_line "$ERR" "^sbatch: error: --llm-config: .*partial\.json.*missing key 'num_hidden_layers'" "missing key named"
as_user sbatch --llm-config=unknown.json -N 1 --gpus-per-node=4 --wrap true
expect_line "$ERR" "^sbatch: error: --llm-config: .*model_type 'qwerty'" "unknown architecture named"
as_user sbatch --llm-config=missing.json -N 1 --gpus-per-node=4 --wrap true
expect_line "$ERR" '^sbatch: error: --llm-config: missing\.json: No such file or directory \(nor in /tmp/aif-site-configs' "missing file named"
expect_line "$ERR" 'Invalid --llm-config argument' "Slurm's invalid-argument line"
# Issue 11: type and size are checked before reading. /dev/zero grew sbatch to GBs and a FIFO
# hung it; both, and a file over 1 MiB, fail at once with a message naming the file.
mkfifo config.fifo && chmod 666 config.fifo
head -c 1100000 /dev/zero | tr '\0' ' ' >huge.json && chmod 644 huge.json
for f in /dev/zero config.fifo huge.json; do
    t0=$(date +%s%N)
    as_user timeout 20 sbatch --llm-config=$f -N 1 --gpus-per-node=4 --wrap true
    ms=$((($(date +%s%N) - t0) / 1000000))
    { [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ] && [ "$ms" -lt 10000 ]; } &&
        ok "--llm-config=$f fails in ${ms} ms" || fail "--llm-config=$f: exit $RC after ${ms} ms"
done
expect_line "$ERR" '^sbatch: error: --llm-config: huge\.json: 1\.05 MiB is over the 1 MiB limit' "file over 1 MiB named"
as_user sbatch --llm-config=/dev/zero -N 1 --gpus-per-node=4 --wrap true
expect_line "$ERR" '^sbatch: error: --llm-config: /dev/zero: not a regular file' "device named"
as_user timeout 20 sbatch --llm-config=config.fifo -N 1 --gpus-per-node=4 --wrap true
expect_line "$ERR" '^sbatch: error: --llm-config: config\.fifo: not a regular file' "FIFO named"
[ "$(scontrol -o show jobs | grep -c JobId=)" -eq 2 ] && ok "no job but the two accepted ones" ||
    fail "jobs: $(scontrol -o show jobs)"
finish
