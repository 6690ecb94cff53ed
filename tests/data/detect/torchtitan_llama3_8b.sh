#!/bin/bash
#SBATCH --nodes=2 --gpus-per-node=8 --ntasks-per-node=1
# Written for aifactory's detect corpus: torchtitan's multinode launch (style of its
# multinode_trainer.slurm), the TOML named and overridden on the command line.
CONFIG_FILE=${CONFIG_FILE:-"./torchtitan/models/llama3/train_configs/llama3_8b.toml"}
head_node_ip=$(hostname --ip-address)
srun torchrun --nnodes 2 --nproc_per_node 8 --rdzv_id 101 --rdzv_backend c10d \
    --rdzv_endpoint "$head_node_ip:29500" \
    -m torchtitan.train --job.config_file ${CONFIG_FILE} \
    --model.name llama3 --model.flavor 8B \
    --training.local_batch_size 2 --training.seq_len 8192 --training.steps 2000 \
    --training.global_batch_size 64 \
    --parallelism.tensor_parallel_degree 2 --parallelism.pipeline_parallel_degree 1 \
    --activation_checkpoint.mode full
