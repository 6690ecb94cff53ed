#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: transformers' run_clm.py under torchrun with FSDP.
torchrun --nproc_per_node=8 examples/pytorch/language-modeling/run_clm.py \
    --model_name_or_path Qwen/Qwen2.5-7B \
    --dataset_name wikitext --dataset_config_name wikitext-2-raw-v1 \
    --per_device_train_batch_size 2 --gradient_accumulation_steps 4 \
    --block_size 4096 --bf16 --gradient_checkpointing \
    --fsdp "full_shard auto_wrap" --fsdp_transformer_layer_cls_to_wrap Qwen2DecoderLayer \
    --do_train --output_dir /scratch/out
