#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: axolotl's own CLI with command-line overrides.
CFG=examples/qwen2.5/7b-full.yml
axolotl train $CFG --micro-batch-size 2 --sequence-len 4096 --gradient-checkpointing true
