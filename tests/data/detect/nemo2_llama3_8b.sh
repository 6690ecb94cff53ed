#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus: NeMo 2.0's CLI with a recipe and overrides.
nemo llm pretrain --factory llama3_8b -y \
    trainer.num_nodes=1 trainer.devices=8 trainer.max_steps=1000 \
    trainer.strategy.tensor_model_parallel_size=2 \
    trainer.strategy.pipeline_model_parallel_size=1 \
    data.micro_batch_size=1 data.global_batch_size=128 data.seq_length=8192
