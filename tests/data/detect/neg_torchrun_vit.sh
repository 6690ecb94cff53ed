#!/bin/bash
#SBATCH -N 1 --gpus-per-node=8
# Written for aifactory's detect corpus (negative): torchvision reference training.
torchrun --nproc_per_node=8 references/classification/train.py --model vit_b_16 --epochs 300 \
  --batch-size 512 --opt adamw --lr 0.003 --amp --model-ema
python -m torch.distributed.run --nproc_per_node 8 main_dino.py --arch vit_small --data_path /data/imagenet
