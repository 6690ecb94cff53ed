#!/bin/bash
#SBATCH --gpus=8
# Written for aifactory's detect corpus (negative): Composer training an image model from a YAML.
composer -n 8 examples/imagenet/train.py resnet50.yaml max_duration=90ep
