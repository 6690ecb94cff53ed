#!/bin/bash
#SBATCH --gpus=1
# Written for aifactory's detect corpus (negative): evaluating a language model.
lm_eval --model hf --model_args pretrained=meta-llama/Llama-3.1-8B --tasks hellaswag --batch_size 8
python -m vllm.entrypoints.openai.api_server --model meta-llama/Llama-3.1-8B --tensor-parallel-size 1
