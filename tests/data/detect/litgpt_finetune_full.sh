#!/bin/bash
#SBATCH -N 1 --gres=gpu:8 --ntasks-per-node=8
# Written for aifactory's detect corpus: LitGPT full fine-tuning.
MODEL=meta-llama/Meta-Llama-3.1-8B
srun litgpt finetune_full $MODEL \
    --data JSON --data.json_path data/train.json \
    --train.micro_batch_size=1 --train.global_batch_size=64 --train.max_seq_length=2048 \
    --precision bf16-true --devices 8
