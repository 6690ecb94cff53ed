#!/bin/bash
#SBATCH --gpus=4
# Written for aifactory's detect corpus (negative): a Hydra/Lightning vision job.
srun python train.py trainer.devices=4 trainer.precision=16-mixed model.backbone=resnet50 data.batch_size=256
