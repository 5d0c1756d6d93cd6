#!/usr/bin/python3
"""Writes the SR benchmark inputs as safetensors ("image" [1,3,H,W] float32 in [0,1]) so bench_sr needs no image
library: the skimage data photos (apt-get install python3-skimage) and the @upscalerjs fixture.png.
Usage: /usr/bin/python3 bench/sr_prepare_inputs.py OUT_DIR [node_modules]"""
import json
import os
import struct
import sys

import numpy as np
import skimage.data
import skimage.io

PHOTOS = ["astronaut", "camera", "chelsea", "coffee", "rocket"]


def write(path, img):
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    x = (img[..., :3].astype(np.float32) / 255.0).transpose(2, 0, 1)[None].copy()
    data = x.tobytes()
    header = json.dumps({"image": {"dtype": "F32", "shape": list(x.shape), "data_offsets": [0, len(data)]}}).encode()
    header += b" " * ((8 - len(header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)
    print(path, x.shape)


def main():
    out = sys.argv[1]
    nm = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "node_modules")
    os.makedirs(out, exist_ok=True)
    for name in PHOTOS:
        write(os.path.join(out, name + ".safetensors"), getattr(skimage.data, name)())
    fixture = os.path.join(nm, "@upscalerjs", "esrgan-slim", "assets", "fixture.png")
    if os.path.exists(fixture):
        write(os.path.join(out, "fixture.safetensors"), skimage.io.imread(fixture))


if __name__ == "__main__":
    main()
