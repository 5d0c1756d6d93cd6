#!/usr/bin/python3
"""Builds the TorchScript fixtures of the CTTA tests (tests/pipelines/ctta/fixtures/).

Run with Debian's python3 (torch 1.13): /usr/bin/python3 scripts/make_torchscript_fixtures.py
Writes a tiny CNN with BatchNorm (conv-BN-ReLU ×2, mean pool, linear; 8×8 RGB in, 3 classes) as
  tiny_scripted.pt  (torch.jit.script: BatchNorm follows .train()/.eval()),
  tiny_traced.pt    (torch.jit.trace in eval mode: BatchNorm's branch is frozen),
  tiny_scripted.json / tiny_traced.json (the Atelier model JSON: arch torchscript, mean/std/classes),
  tiny_expected.safetensors: input [6,3,8,8] in [0,1]; logits_eval (running statistics); logits_train (BatchNorm
  on batch statistics, everything else eval); after one and two Tent steps (entropy, Adam lr 1e-3, BN affine
  only): tent_logits_1 (the prediction of the second batch = after one update) and the BN affine parameters
  tent2.<name> after two steps.
The model is saved in eval mode with non-trivial running statistics and affine parameters.
"""
import copy
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = [0.5, 0.4, 0.3]
STD = [0.25, 0.2, 0.3]


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 8, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        # x: [B,3,8,8] normalised -> [B,3] logits
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


def normalise(x01):
    return (x01 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def batch_stats_mode(m):
    m.eval()
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.train()


def entropy(y):
    return -(y.softmax(1) * y.log_softmax(1)).sum(1)


def save_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "pipelines",
                                                             "ctta", "fixtures")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    net = TinyNet()
    with torch.no_grad():   # non-trivial running statistics and affine parameters
        net.train()
        for _ in range(4):
            net(torch.randn(16, 3, 8, 8) * 1.5 + 0.3)
        for bn in (net.bn1, net.bn2):
            bn.weight.copy_(1 + 0.3 * torch.randn_like(bn.weight))
            bn.bias.copy_(0.2 * torch.randn_like(bn.bias))
    net.eval()
    x01 = torch.rand(6, 3, 8, 8) * 0.6 + 0.3   # a shifted batch: batch statistics differ from running ones
    tensors = {"input": x01}
    with torch.no_grad():
        tensors["logits_eval"] = net(normalise(x01))
        m = copy.deepcopy(net)
        batch_stats_mode(m)
        tensors["logits_train"] = m(normalise(x01))
    # Tent: BN affine only, entropy, Adam(1e-3, (0.9, 0.999), wd 0); prediction before each update.
    m = copy.deepcopy(net)
    batch_stats_mode(m)
    for p in m.parameters():
        p.requires_grad_(False)
    params = []
    for bn in (m.bn1, m.bn2):
        params += [bn.weight, bn.bias]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0)
    for step in range(2):
        y = m(normalise(x01))
        if step == 1:
            tensors["tent_logits_1"] = y.detach().clone()
        loss = entropy(y).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for name, p in m.named_parameters():
        if name.startswith("bn"):
            tensors["tent2." + name] = p.detach().clone()

    scripted = torch.jit.script(net)
    scripted.save(os.path.join(out, "tiny_scripted.pt"))
    traced = torch.jit.trace(net, normalise(x01))
    traced.save(os.path.join(out, "tiny_traced.pt"))
    spec = {"arch": "torchscript", "num_classes": 3, "classes": ["alpha", "beta", "gamma"], "mean": MEAN,
            "std": STD, "input_size": 8}
    for name in ("tiny_scripted", "tiny_traced"):
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(spec, f, indent=1)
            f.write("\n")
    save_safetensors(os.path.join(out, "tiny_expected.safetensors"), tensors)
    for k, v in tensors.items():
        print(k, tuple(v.shape))


if __name__ == "__main__":
    main()
