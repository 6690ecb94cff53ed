#!/bin/bash
#SBATCH --nodes=2 --ntasks-per-node=8 --gpus-per-node=8
# Written for aifactory's detect corpus: NeMo 1.x GPT pretraining with Hydra overrides, as in
# NeMo's documentation for megatron_gpt_pretraining.py.
NEMO=/opt/NeMo
srun --container-image=nvcr.io/nvidia/nemo:24.01 \
  python3 $NEMO/examples/nlp/language_modeling/megatron_gpt_pretraining.py \
    --config-path=$NEMO/examples/nlp/language_modeling/conf \
    --config-name=megatron_gpt_config \
    trainer.devices=8 \
    trainer.num_nodes=2 \
    trainer.max_steps=30000 \
    trainer.precision=bf16 \
    model.micro_batch_size=2 \
    model.global_batch_size=512 \
    model.tensor_model_parallel_size=2 \
    model.pipeline_model_parallel_size=1 \
    model.encoder_seq_length=2048 \
    model.max_position_embeddings=2048 \
    model.num_layers=24 \
    model.hidden_size=2048 \
    model.ffn_hidden_size=8192 \
    model.num_attention_heads=16 \
    model.tokenizer.type=GPT2BPETokenizer \
    model.activations_checkpoint_granularity=selective \
    model.optim.name=distributed_fused_adam \
    model.data.data_prefix=[1.0,/data/gpt_text_document] \
    exp_manager.exp_dir=/results
