#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: llm-foundry fine-tuning a Hugging Face model.
composer scripts/train/train.py scripts/train/yamls/finetune/llama3-8b.yaml \
  model.name=hf_causal_lm model.pretrained_model_name_or_path=meta-llama/Meta-Llama-3-8B \
  max_seq_len=4096 global_train_batch_size=64 device_train_microbatch_size=1 \
  precision=amp_bf16 fsdp_config.activation_checkpointing=true
