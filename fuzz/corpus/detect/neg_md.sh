#!/bin/bash
#SBATCH --gpus=4
# Written for aifactory's tests: molecular dynamics (not LLM training).
export OMP_NUM_THREADS=8
srun gmx_mpi mdrun -s topol.tpr -nb gpu -pme gpu -bonded gpu -ntomp $OMP_NUM_THREADS
echo "next: python pretrain_gpt.py --num-layers 32"
