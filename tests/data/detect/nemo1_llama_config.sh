#!/bin/bash
#SBATCH -N 4 --gpus-per-node=8
# Written for aifactory's detect corpus: NeMo 1.x with the user's own config YAML and overrides.
TP=4
srun python /opt/NeMo/examples/nlp/language_modeling/megatron_gpt_pretraining.py \
  --config-path=/home/user/conf --config-name=llama2_7b \
  model.tensor_model_parallel_size=$TP model.pipeline_model_parallel_size=1 \
  model.micro_batch_size=1 model.global_batch_size=128 trainer.precision=bf16-mixed \
  +model.sequence_parallel=True
