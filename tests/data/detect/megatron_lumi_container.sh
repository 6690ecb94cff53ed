#!/bin/bash -l
#SBATCH --partition=standard-g
#SBATCH --nodes=4
#SBATCH --gpus-per-node=8
#SBATCH --ntasks-per-node=8
#SBATCH --time=12:00:00
# Written for aifactory's detect corpus: a Megatron-LM Llama-2-7B style run in a container, one
# task per GPU, in the way HPC centre guides show it.
CONTAINER=/appl/local/containers/megatron.sif
NLAYERS=32
NHIDDEN=4096
NHEADS=32
FFN=11008
SEQ=4096
MICRO=2
GLOBAL=$((MICRO * 8 * 32))
TP=2
PP=1

ARGS="--num-layers $NLAYERS --hidden-size $NHIDDEN --num-attention-heads $NHEADS \
  --ffn-hidden-size $FFN --seq-length $SEQ --max-position-embeddings $SEQ \
  --swiglu --normalization RMSNorm --use-rotary-position-embeddings \
  --untie-embeddings-and-output-weights --disable-bias-linear \
  --micro-batch-size $MICRO --global-batch-size $GLOBAL \
  --tensor-model-parallel-size $TP --pipeline-model-parallel-size $PP \
  --vocab-size 32000 --train-samples 2000000 --bf16 \
  --recompute-granularity full --recompute-method uniform --use-distributed-optimizer"

srun --cpu-bind=mask_cpu:$CPU_BIND_MASKS singularity exec -B /scratch $CONTAINER \
    python -u Megatron-LM/pretrain_gpt.py $ARGS --data-path /scratch/data/tokens_text_document
