#!/bin/bash
#SBATCH --nodes=2 --gres=gpu:8
# Written for aifactory's detect corpus: Megatron-DeepSpeed in the style of its examples_deepspeed
# scripts (the DeepSpeed JSON is written by the script itself).
ZERO_STAGE=1
MICRO_BATCH=4
GLOBAL_BATCH=512
config_json="./ds_config.json"
cat <<EOT > $config_json
{
  "train_micro_batch_size_per_gpu": $MICRO_BATCH,
  "train_batch_size": $GLOBAL_BATCH,
  "zero_optimization": { "stage": $ZERO_STAGE },
  "bf16": { "enabled": true }
}
EOT
DS_ARGS=" --deepspeed --deepspeed_config=${config_json} --zero-stage=${ZERO_STAGE} --deepspeed-activation-checkpointing"
deepspeed --num_gpus 8 --num_nodes 2 --hostfile hosts pretrain_gpt.py \
    --tensor-model-parallel-size 4 --pipeline-model-parallel-size 2 \
    --num-layers 40 --hidden-size 5120 --num-attention-heads 40 \
    --seq-length 2048 --max-position-embeddings 2048 \
    --micro-batch-size $MICRO_BATCH --global-batch-size $GLOBAL_BATCH \
    --train-iters 100000 --vocab-size 50257 --bf16 \
    --checkpoint-activations $DS_ARGS
