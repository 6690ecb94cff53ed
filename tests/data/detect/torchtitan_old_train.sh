#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: an older torchtitan checkout (train.py, batch_size).
cd $HOME/torchtitan
torchrun --nproc_per_node=8 train.py --job.config_file train_configs/llama2_13b.toml \
    --model.name llama2 --model.flavor 13B --training.batch_size 4 --training.seq_len 4096 \
    --training.tensor_parallel_degree 4 --training.mixed_precision_param bfloat16
