#!/bin/bash
#SBATCH -N 1 --gpus-per-node=4
# Written for aifactory's detect corpus (negative): a CNN trained with DeepSpeed.
deepspeed --num_gpus 4 cifar10_deepspeed.py --deepspeed --deepspeed_config ds_config.json --epochs 30
