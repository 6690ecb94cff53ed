#!/bin/bash
#SBATCH -N 1 --gpus-per-node=4
# Written for aifactory's detect corpus: axolotl through accelerate, as its README shows.
source ~/venvs/axolotl/bin/activate
accelerate launch -m axolotl.cli.train configs/llama-3-8b-fft.yaml
