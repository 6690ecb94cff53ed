#!/bin/bash
#SBATCH -N 2 --gpus-per-node=4 --ntasks-per-node=4
# Written for aifactory's detect corpus (negative): molecular dynamics.
module load gromacs
srun gmx_mpi mdrun -s topol.tpr -nb gpu -pme gpu -bonded gpu -ntomp 8 -maxh 23.5
