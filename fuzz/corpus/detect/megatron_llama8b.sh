#!/bin/bash
#SBATCH --job-name=llama8b-pretrain
#SBATCH --nodes=2
#SBATCH --gpus-per-node=4
#SBATCH --time=24:00:00

# Written for aifactory's tests: a Megatron-LM pretraining job in the usual shape.
module load cuda
export CUDA_DEVICE_MAX_CONNECTIONS=1
MEGATRON=/opt/megatron-lm
DATA=/scratch/data/corpus_text_document

TP=${TP:-4}
PP=2
MBS=1
GBS=$((MBS * 256))
SEQ_LEN=4096

GPT_ARGS="
    --num-layers 32 \
    --hidden-size 4096 \
    --ffn-hidden-size 14336
    --num-attention-heads 32 --group-query-attention --num-query-groups 8
    --seq-length ${SEQ_LEN} --max-position-embeddings ${SEQ_LEN}
    --position-embedding-type rope --normalization RMSNorm --swiglu
    --disable-bias-linear --untie-embeddings-and-output-weights
    --attention-dropout 0.0 --hidden-dropout 0.0
"
TRAIN_ARGS=(
    --micro-batch-size $MBS   # per GPU
    --global-batch-size $GBS
    --train-iters 1000
    --bf16
    --recompute-granularity selective
    --use-distributed-optimizer
)
export OMP_NUM_THREADS=8

srun --cpu-bind=none torchrun --nproc_per_node 4 --nnodes $SLURM_NNODES \
    --rdzv_endpoint $MASTER_ADDR:29500 \
    $MEGATRON/pretrain_gpt.py \
    $GPT_ARGS \
    "${TRAIN_ARGS[@]}" \
    --tensor-model-parallel-size $TP --pipeline-model-parallel-size $PP \
    --sequence-parallel \
    --tokenizer-type HuggingFaceTokenizer --tokenizer-model /models/tokenizer \
    --data-path $DATA 2>&1 | tee log.txt
