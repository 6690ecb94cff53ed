#!/bin/bash
#SBATCH --gpus=1
# Written for aifactory's tests: inference and evaluation runs (not training).
vllm serve meta-llama/Llama-3.1-8B --tensor-parallel-size 1 &
python run_eval.py --model_name_or_path meta-llama/Llama-3.1-8B --per_device_eval_batch_size 16 --do_eval
torchrun --nproc_per_node 4 train_resnet.py --arch resnet50 --batch-size 256 --epochs 90
