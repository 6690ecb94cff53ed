#!/bin/bash
#SBATCH -N 2 --gpus-per-node=8
# Written for aifactory's detect corpus: llm-foundry pretraining with composer and OmegaConf
# overrides (style of its scripts/train/README).
cd llm-foundry/scripts
composer train/train.py train/yamls/pretrain/mpt-1b.yaml \
  data_local=/scratch/c4 train_loader.dataset.split=train_small \
  max_seq_len=2048 global_train_batch_size=512 device_train_microbatch_size=8 \
  precision=amp_bf16 model.name=mpt_causal_lm model.d_model=2048 model.n_heads=16 \
  model.n_layers=24 model.expansion_ratio=4 model.attn_config.alibi=true \
  fsdp_config.activation_checkpointing=false save_folder=/scratch/ckpt
