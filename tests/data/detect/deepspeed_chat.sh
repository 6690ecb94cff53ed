#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: DeepSpeed-Chat step 1 (supervised fine-tuning) style.
OUTPUT=./output
ZERO_STAGE=3
deepspeed main.py \
   --data_path Dahoas/rm-static \
   --model_name_or_path meta-llama/Llama-2-13b-hf \
   --per_device_train_batch_size 4 \
   --max_seq_len 512 \
   --learning_rate 9.65e-6 \
   --num_train_epochs 1 \
   --gradient_checkpointing \
   --zero_stage $ZERO_STAGE \
   --dtype bf16 \
   --deepspeed \
   --output_dir $OUTPUT
