#!/bin/bash
#SBATCH -N 4 --ntasks-per-node=1 --gpus-per-node=8
# Written for aifactory's tests: GPT-2 style model, launcher inside a container, bash -c.
set -euo pipefail
IMAGE=/images/pytorch.sif
NLAYERS=24; HIDDEN=2048; HEADS=16
LAUNCHER="python -u -m torch.distributed.run --nproc_per_node=8 --nnodes=$SLURM_NNODES"
ARGS="--num-layers $NLAYERS --hidden-size $HIDDEN --num-attention-heads $HEADS \
 --seq-length 2048 --max-position-embeddings 2048 --micro-batch-size 4 --global-batch-size 512 \
 --tokenizer-type GPT2BPETokenizer --vocab-file gpt2-vocab.json --merge-file gpt2-merges.txt \
 --fp16 --recompute-activations --train-samples 1000000 --tensor-model-parallel-size 2"
srun singularity exec --nv $IMAGE bash -c "$LAUNCHER pretrain_gpt.py $ARGS --data-path /data/x"
