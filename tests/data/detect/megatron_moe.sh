#!/bin/bash
#SBATCH -N 8 --gpus-per-node=4
# Written for aifactory's detect corpus: a Mixtral-8x7B-shaped MoE run with Megatron-Core.
EP=${EP:-8}
MOE_ARGS="--num-experts 8 --moe-router-topk 2 --expert-model-parallel-size $EP --moe-grouped-gemm"
MODEL_ARGS="--num-layers 32 --hidden-size 4096 --ffn-hidden-size 14336 --num-attention-heads 32 \
 --group-query-attention --num-query-groups 8 --position-embedding-type rope --swiglu \
 --normalization RMSNorm --disable-bias-linear --untie-embeddings-and-output-weights \
 --vocab-size 32000 --attention-dropout 0 --hidden-dropout 0"
srun python pretrain_gpt.py $MODEL_ARGS $MOE_ARGS \
    --tensor-model-parallel-size 1 --pipeline-model-parallel-size 4 \
    --micro-batch-size 1 --global-batch-size 256 --seq-length 4096 --max-position-embeddings 32768 \
    --train-iters 20000 --bf16 --recompute-granularity full --recompute-method uniform \
    --use-distributed-optimizer
