#!/bin/bash
#SBATCH --nodes=2 --gpus-per-node=4
# Written for aifactory's tests: a CFD job (not LLM training).
module load openfoam
decomposePar -force
srun --mpi=pmix simpleFoam -parallel > log.simpleFoam 2>&1
python3 postprocess.py --fields U p --num-layers 3
