#!/bin/bash
#SBATCH --nodes=1 --gres=gpu:8
# Written for aifactory's detect corpus: the Trainer with a DeepSpeed JSON it names.
deepspeed --num_gpus 8 train.py \
  --model_name_or_path mistralai/Mistral-7B-v0.1 \
  --per_device_train_batch_size 8 --model_max_length 4096 \
  --fp16 --deepspeed configs/ds_zero2.json --do_train --output_dir out
