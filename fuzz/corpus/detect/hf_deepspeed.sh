#!/bin/bash
#SBATCH --nodes=1
#SBATCH --gres=gpu:8
# Written for aifactory's tests: fine-tuning with the Hugging Face Trainer under DeepSpeed.
export HF_HOME=/scratch/$USER/hf
OUT=/scratch/$USER/run1
BATCH=4

cat > ds_config.json <<'JSON'
{ "zero_optimization": { "stage": 3 }, "train_micro_batch_size_per_gpu": "auto" }
JSON

deepspeed --num_gpus 8 run_clm.py \
  --model_name_or_path meta-llama/Llama-3.1-8B \
  --dataset_name wikitext --dataset_config_name wikitext-103-raw-v1 \
  --per_device_train_batch_size $BATCH \
  --gradient_accumulation_steps 8 \
  --block_size 2048 \
  --bf16 True \
  --gradient_checkpointing \
  --optim adamw_torch_fused \
  --deepspeed ds_config.json \
  --do_train --output_dir "$OUT"
