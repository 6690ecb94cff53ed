#!/usr/bin/bash
#SBATCH -N 8 --gpus-per-node=8
# Written for aifactory's detect corpus: torchtitan's run_train.sh shape, overrides in a variable.
set -ex
NGPU=${NGPU:-"8"}
CONFIG_FILE=${CONFIG_FILE:-"./torchtitan/models/llama3/train_configs/llama3_70b.toml"}
overrides="--parallelism.tensor_parallel_degree=8 --parallelism.pipeline_parallel_degree=4"
overrides="$overrides --training.local_batch_size=1 --training.seq_len=8192 --model.flavor=70B --model.name=llama3"
PYTORCH_CUDA_ALLOC_CONF="expandable_segments:True" \
srun torchrun --nproc_per_node=${NGPU} --rdzv_backend c10d --rdzv_endpoint="localhost:0" \
  -m torchtitan.train --job.config_file ${CONFIG_FILE} $overrides --model.converters=float8
