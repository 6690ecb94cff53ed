#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus (negative): a diffusion model fine-tune.
accelerate launch --mixed_precision=fp16 train_text_to_image.py \
  --pretrained_model_name_or_path=stabilityai/stable-diffusion-2-1 \
  --train_batch_size=1 --gradient_checkpointing --resolution=768 --output_dir=sd-out
