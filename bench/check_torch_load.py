"""Loads a webgpu-gan checkpoint with the safetensors library into a plain torch.nn.Sequential
generator (the layout the README promises) and compares its images for the exported noise with
the ones webgpu-gan made.   python3 check_torch_load.py CHECKPOINT DIR   (DIR from export-samples)"""
import json, sys
import numpy as np
import torch, torch.nn as nn
from safetensors.torch import load_file

checkpoint, folder = sys.argv[1], sys.argv[2]
tensors = load_file(checkpoint)
G = nn.Sequential(nn.Linear(100, 128), nn.LeakyReLU(0.2), nn.Linear(128, 256), nn.LeakyReLU(0.2), nn.Linear(256, 784), nn.Tanh())
state = {k[len('generator_ema.'):]: v for k, v in tensors.items() if k.startswith('generator_ema.')}
G.load_state_dict(state)  # strict: every key and shape must match
z = torch.from_numpy(np.fromfile(f'{folder}/noise.f32', dtype=np.float32).reshape(-1, 100))
ours = np.fromfile(f'{folder}/images.f32', dtype=np.float32).reshape(-1, 784)
with torch.no_grad():
    theirs = G(z).numpy()
print(json.dumps({'check': 'torch nn.Sequential.load_state_dict(generator_ema.*)', 'samples': len(z),
                  'max_abs_diff': float(np.abs(theirs - ours).max()), 'keys': sorted(state)}), flush=True)
