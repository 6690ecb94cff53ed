#!/bin/bash
#SBATCH --nodes=4 --gpus-per-node=8 --ntasks-per-node=8
# Written for aifactory's detect corpus: LitGPT pretraining (documented CLI), Lightning's
# SLURM launcher uses one task per GPU.
srun litgpt pretrain meta-llama/Llama-3.2-3B \
  --tokenizer_dir meta-llama/Llama-3.2-3B \
  --devices 8 --num_nodes 4 \
  --train.micro_batch_size 4 --train.global_batch_size 1024 \
  --train.max_seq_length 4096 --train.max_tokens 300000000000 \
  --precision bf16-true \
  --out_dir /scratch/litgpt/out
