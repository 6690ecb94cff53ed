#!/bin/bash
#SBATCH -N 1 --gpus-per-node=4
# Written for aifactory's detect corpus: a TRL SFT script started as a module through accelerate.
accelerate launch --num_processes 4 -m sft_train \
    --model_name_or_path meta-llama/Llama-2-7b-hf \
    --per_device_train_batch_size 4 --max_seq_length 2048 \
    --gradient_checkpointing --bf16 --optim adamw_torch --do_train
