#!/usr/bin/env python3
"""PyTorch (Python) side-by-side reference for bench_ctta: the same WRN-16-4, the same corrupted stream (written
by bench_ctta --stream-out), Source / BN-adapt / Tent with the official settings (Tent: BN affine, entropy, Adam
1e-3, prediction before the step). Prints JSON {"methods": {name: {"mean_error", "errors", "images_per_s"}}}.
Needs python3-torch (Debian) only: safetensors files are parsed by hand. Not installed by scripts/setup.sh."""
import argparse, json, struct, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

DT = {"F32": torch.float32, "F16": torch.float16, "I64": torch.int64, "U8": torch.uint8}


def load_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=DT[v["dtype"]]) if e > b else torch.empty(0, dtype=DT[v["dtype"]])
        out[k] = t.reshape(v["shape"])
    return out


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.equal = cin == cout and stride == 1
        self.convShortcut = None if self.equal else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        o = F.relu(self.bn1(x))
        sc = x if self.equal else self.convShortcut(o)
        return sc + self.conv2(F.relu(self.bn2(self.conv1(o))))


class Group(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[Block(cin if i == 0 else cout, cout, stride if i == 0 else 1) for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WRN(nn.Module):
    def __init__(self, depth=16, widen=4, num_classes=10):
        super().__init__()
        n, w = (depth - 4) // 6, [16, 16 * widen, 32 * widen, 64 * widen]
        self.conv1 = nn.Conv2d(3, w[0], 3, 1, 1, bias=False)
        self.block1, self.block2, self.block3 = Group(n, w[0], w[1], 1), Group(n, w[1], w[2], 2), Group(n, w[2], w[3], 2)
        self.bn1, self.fc = nn.BatchNorm2d(w[3]), nn.Linear(w[3], num_classes)

    def forward(self, x):
        o = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(F.relu(self.bn1(o)).mean((2, 3)))


def entropy(y):
    return -(y.softmax(1) * y.log_softmax(1)).sum(1)


def run(method, state, images, labels, names, batch):
    model = WRN()
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    opt = None
    if method == "source":
        model.eval()
    else:
        model.train()
        model.requires_grad_(False)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.track_running_stats, m.running_mean, m.running_var = False, None, None
                if method == "tent":
                    m.weight.requires_grad_(True)
                    m.bias.requires_grad_(True)
        if method == "tent":
            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0)
    errors, seconds, count = {}, 0.0, 0
    for d, name in enumerate(names):
        wrong = 0
        for b in range(0, images.shape[1], batch):
            x = images[d, b:b + batch].permute(0, 3, 1, 2).float().div(255.0).contiguous()
            t0 = time.perf_counter()
            if opt is None:
                with torch.no_grad():
                    y = model(x)
            else:
                y = model(x)
                loss = entropy(y).mean()
                loss.backward()
                opt.step()
                opt.zero_grad()
            pred = y.argmax(1)
            seconds += time.perf_counter() - t0
            wrong += int((pred != labels[b:b + batch]).sum())
            count += x.shape[0]
        errors[name] = wrong / images.shape[1]
    return {"mean_error": sum(errors.values()) / len(errors), "errors": errors, "images_per_s": count / seconds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--stream", required=True, help="safetensors from bench_ctta --stream-out")
    ap.add_argument("--methods", default="source,bn,tent")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    state = load_st(a.model)
    st = load_st(a.stream)
    names = json.loads(open(a.stream, "rb").read(8 + struct.unpack("<Q", open(a.stream, "rb").read(8))[0])[8:])["__metadata__"]["names"].split(",")
    res = {"torch": torch.__version__, "threads": torch.get_num_threads(), "methods": {}}
    for m in a.methods.split(","):
        res["methods"][m] = run(m, state, st["images"], st["labels"], names, a.batch)
    json.dump(res, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
