read=toml,ds,yaml;toml:training.seq_len=8192;toml:model.name=llama3;toml:model.flavor=8B;ds:zero_optimization.stage=3
#!/bin/bash
srun torchrun -m torchtitan.train --job.config_file x.toml --deepspeed_config ds.json
