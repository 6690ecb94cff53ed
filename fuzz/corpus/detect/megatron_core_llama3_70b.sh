#!/bin/bash
#SBATCH --nodes=32 --gpus-per-node=8 --time=2-00:00:00
# Written for aifactory's detect corpus: Llama-3-70B shape with defaults from the environment.
set -euo pipefail
: "${TP:=8}"
PP=${PP:-4}
CP=${CP:-2}
VPP_LAYERS=5
export NCCL_IB_TIMEOUT=22
COMMON="--use-mcore-models --transformer-impl transformer_engine"
if [ -n "${DEBUG:-}" ]; then
    echo "debug run"
fi
srun --mpi=pmix --container-image=nvcr.io/nvidia/pytorch:24.05-py3 \
  python pretrain_gpt.py $COMMON \
  --num-layers 80 --hidden-size 8192 --ffn-hidden-size 28672 --num-attention-heads 64 \
  --group-query-attention --num-query-groups 8 --kv-channels 128 \
  --position-embedding-type rope --swiglu --normalization RMSNorm \
  --disable-bias-linear --untie-embeddings-and-output-weights \
  --attention-dropout 0.0 --hidden-dropout 0.0 \
  --tokenizer-type HuggingFaceTokenizer --tokenizer-model meta-llama/Meta-Llama-3-70B \
  --tensor-model-parallel-size $TP --pipeline-model-parallel-size $PP \
  --num-layers-per-virtual-pipeline-stage $VPP_LAYERS --context-parallel-size $CP \
  --sequence-parallel --micro-batch-size 1 --global-batch-size 1024 \
  --seq-length 8192 --max-position-embeddings 8192 --train-iters 50000 \
  --bf16 --recompute-activations --use-distributed-optimizer
