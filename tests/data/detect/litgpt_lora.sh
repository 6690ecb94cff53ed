#!/bin/bash
#SBATCH --gpus=2
# Written for aifactory's detect corpus: LitGPT LoRA fine-tuning.
litgpt finetune_lora mistralai/Mistral-7B-v0.1 --devices 2 --precision bf16-true \
  --train.micro_batch_size 2 --train.max_seq_length 1024 --quantize bnb.nf4
