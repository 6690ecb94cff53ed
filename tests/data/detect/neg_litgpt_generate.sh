#!/bin/bash
#SBATCH --gpus=1
# Written for aifactory's detect corpus (negative): LitGPT inference and serving, not training.
litgpt generate meta-llama/Llama-3.2-3B --prompt "Hello"
litgpt serve meta-llama/Llama-3.2-3B --devices 1
litgpt evaluate out/final --tasks hellaswag
