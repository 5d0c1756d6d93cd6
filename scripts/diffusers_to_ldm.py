#!/usr/bin/env python3
"""Convert a diffusers Stable Diffusion 1.x/2.x folder to one LDM/CompVis-keyed .safetensors (pure stdlib).

Port of diffusers' scripts/convert_diffusers_to_original_stable_diffusion.py working on safetensors headers:
tensors are renamed and their bytes copied unchanged. The only shape changes are the VAE mid-block attention
q/k/v/proj_out weights ([C,C] -> [C,C,1,1], same bytes) and, for OpenCLIP (SD 2.x) text encoders, q/k/v
projections merged into attn.in_proj_weight/bias (a concatenation along dim 0, i.e. of the bytes in q,k,v order).
Unlike the original (hard-coded to 4 blocks, 2 resnets each), the block counts come from the component
config.json files, so scaled-down models convert too.

Usage: diffusers_to_ldm.py MODEL_DIR OUT.safetensors [--text-format auto|clip|openclip]
"""
import argparse
import json
import os
import struct
import sys

DTYPE_SIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


class Tensor:
    """A tensor of an input file: dtype, shape and its byte range (read lazily)."""

    def __init__(self, path, dtype, shape, begin, end):
        self.path, self.dtype, self.shape, self.begin, self.end = path, dtype, list(shape), begin, end

    def read(self):
        with open(self.path, "rb") as f:
            f.seek(self.begin)
            return f.read(self.end - self.begin)


class Merged:
    """Concatenation of tensors along dim 0 (bytes in order)."""

    def __init__(self, parts):
        first = parts[0]
        for p in parts:
            if p.dtype != first.dtype or p.shape[1:] != first.shape[1:]:
                raise SystemExit("error: cannot merge q/k/v: dtypes or trailing shapes differ (%s)" % p.path)
        self.dtype, self.parts = first.dtype, parts
        self.shape = [sum(p.shape[0] for p in parts)] + first.shape[1:]

    def read(self):
        return b"".join(p.read() for p in self.parts)


def read_safetensors(path):
    """name -> Tensor with absolute byte offsets; errors name the file."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise SystemExit("error: %s: too short for a safetensors file" % path)
        (n,) = struct.unpack("<Q", raw)
        header = json.loads(f.read(n))
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = Tensor(path, info["dtype"], info["shape"], 8 + n + b, 8 + n + e)
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes name -> Tensor|Merged sorted by name, 8-byte aligned header (what safetensors itself writes)."""
    header, offset = {}, 0
    names = sorted(tensors)
    for name in names:
        t = tensors[name]
        size = DTYPE_SIZE[t.dtype]
        for d in t.shape:
            size *= d
        header[name] = {"dtype": t.dtype, "shape": t.shape, "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = metadata
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for name in names:
            data = tensors[name].read()
            if len(data) != header[name]["data_offsets"][1] - header[name]["data_offsets"][0]:
                raise SystemExit("error: %s: byte size does not match its shape" % name)
            f.write(data)
    os.replace(tmp, path)


def load_config(path):
    with open(path) as f:
        return json.load(f)


def per_block_int(value, n, key):
    if isinstance(value, list):
        if len(set(value)) != 1:
            raise SystemExit("error: %s: per-block %s %s has no LDM equivalent" % (key, key, value))
        return value[0]
    return value


# ---------------------------------------------------------------- UNet (convert_unet_state_dict)

UNET_MAP = [("time_embed.0.weight", "time_embedding.linear_1.weight"), ("time_embed.0.bias", "time_embedding.linear_1.bias"),
            ("time_embed.2.weight", "time_embedding.linear_2.weight"), ("time_embed.2.bias", "time_embedding.linear_2.bias"),
            ("input_blocks.0.0.weight", "conv_in.weight"), ("input_blocks.0.0.bias", "conv_in.bias"),
            ("out.0.weight", "conv_norm_out.weight"), ("out.0.bias", "conv_norm_out.bias"),
            ("out.2.weight", "conv_out.weight"), ("out.2.bias", "conv_out.bias")]
UNET_MAP_RESNET = [("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("out_layers.0", "norm2"),
                   ("out_layers.3", "conv2"), ("emb_layers.1", "time_emb_proj"), ("skip_connection", "conv_shortcut")]


def unet_layer_map(cfg):
    n = len(cfg["block_out_channels"])
    lpb = per_block_int(cfg.get("layers_per_block", 2), n, "layers_per_block")
    up_types = cfg.get("up_block_types", [])
    m = []
    for i in range(n):
        for j in range(lpb):
            m.append(("input_blocks.%d.0." % ((lpb + 1) * i + j + 1), "down_blocks.%d.resnets.%d." % (i, j)))
            m.append(("input_blocks.%d.1." % ((lpb + 1) * i + j + 1), "down_blocks.%d.attentions.%d." % (i, j)))
        for j in range(lpb + 1):
            m.append(("output_blocks.%d.0." % ((lpb + 1) * i + j), "up_blocks.%d.resnets.%d." % (i, j)))
            m.append(("output_blocks.%d.1." % ((lpb + 1) * i + j), "up_blocks.%d.attentions.%d." % (i, j)))
        if i < n - 1:
            m.append(("input_blocks.%d.0.op." % ((lpb + 1) * (i + 1)), "down_blocks.%d.downsamplers.0.conv." % i))
            has_attn = i < len(up_types) and up_types[i] == "CrossAttnUpBlock2D"
            m.append(("output_blocks.%d.%d." % ((lpb + 1) * i + lpb, 2 if has_attn else 1), "up_blocks.%d.upsamplers.0." % i))
    m.append(("middle_block.1.", "mid_block.attentions.0."))
    for j in range(2):
        m.append(("middle_block.%d." % (2 * j), "mid_block.resnets.%d." % j))
    return m


def convert_unet(sd, cfg):
    mapping = {k: k for k in sd}
    for sd_name, hf_name in UNET_MAP:
        if hf_name in mapping:
            mapping[hf_name] = sd_name
    for k, v in mapping.items():
        if "resnets" in k:
            for sd_part, hf_part in UNET_MAP_RESNET:
                v = v.replace(hf_part, sd_part)
            mapping[k] = v
    layer_map = unet_layer_map(cfg)
    for k, v in mapping.items():
        for sd_part, hf_part in layer_map:
            v = v.replace(hf_part, sd_part)
        mapping[k] = v
    return {"model.diffusion_model." + v: sd[k] for k, v in mapping.items()}


# ---------------------------------------------------------------- VAE (convert_vae_state_dict)

VAE_MAP_ATTN = [("norm.", "group_norm."), ("q.", "to_q."), ("k.", "to_k."), ("v.", "to_v."), ("proj_out.", "to_out.0."),
                ("q.", "query."), ("k.", "key."), ("v.", "value."), ("proj_out.", "proj_attn.")]


def vae_map(cfg):
    n = len(cfg["block_out_channels"])
    lpb = cfg.get("layers_per_block", 2)
    m = [("nin_shortcut", "conv_shortcut"), ("norm_out", "conv_norm_out"), ("mid.attn_1.", "mid_block.attentions.0.")]
    for i in range(n):
        for j in range(lpb):
            m.append(("encoder.down.%d.block.%d." % (i, j), "encoder.down_blocks.%d.resnets.%d." % (i, j)))
        if i < n - 1:
            m.append(("down.%d.downsample." % i, "down_blocks.%d.downsamplers.0." % i))
            m.append(("up.%d.upsample." % (n - 1 - i), "up_blocks.%d.upsamplers.0." % i))
        for j in range(lpb + 1):
            m.append(("decoder.up.%d.block.%d." % (n - 1 - i, j), "decoder.up_blocks.%d.resnets.%d." % (i, j)))
    for i in range(2):
        m.append(("mid.block_%d." % (i + 1), "mid_block.resnets.%d." % i))
    return m


class Reshaped:
    """Same bytes, new shape (Linear [C,C] -> 1x1 conv [C,C,1,1])."""

    def __init__(self, t, shape):
        self.dtype, self.shape, self.read = t.dtype, shape, t.read


def convert_vae(sd, cfg):
    mapping = {k: k for k in sd}
    vm = vae_map(cfg)
    for k, v in mapping.items():
        for sd_part, hf_part in vm:
            v = v.replace(hf_part, sd_part)
        mapping[k] = v
    for k, v in mapping.items():
        if "attentions" in k:
            for sd_part, hf_part in VAE_MAP_ATTN:
                v = v.replace(hf_part, sd_part)
            mapping[k] = v
    out = {}
    for k, v in mapping.items():
        t = sd[k]
        if any("mid.attn_1.%s.weight" % w in v for w in ("q", "k", "v", "proj_out")) and len(t.shape) == 2:
            t = Reshaped(t, t.shape + [1, 1])
        out["first_stage_model." + v] = t
    return out


# ---------------------------------------------------------------- text encoder

TEXTENC_V20 = [("transformer.resblocks.", "text_model.encoder.layers."), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
               (".c_fc.", ".fc1."), (".c_proj.", ".fc2."), (".attn", ".self_attn"), ("ln_final.", "text_model.final_layer_norm."),
               ("token_embedding.weight", "text_model.embeddings.token_embedding.weight"),
               ("positional_embedding", "text_model.embeddings.position_embedding.weight")]


def relabel_v20(k):
    # Single left-to-right pass over all patterns, like the original's one compiled regex alternation.
    out, i = [], 0
    while i < len(k):
        for sd_part, hf_part in TEXTENC_V20:
            if k.startswith(hf_part, i):
                out.append(sd_part)
                i += len(hf_part)
                break
        else:
            out.append(k[i])
            i += 1
    return "".join(out)


def convert_text_v20(sd):
    new, qkv = {}, {}
    for k, v in sd.items():
        for code, idx in (("q", 0), ("k", 1), ("v", 2)):
            for kind in ("weight", "bias"):
                suffix = ".self_attn.%s_proj.%s" % (code, kind)
                if k.endswith(suffix):
                    qkv.setdefault((k[: -len(suffix)] + ".self_attn", kind), [None, None, None])[idx] = v
                    break
            else:
                continue
            break
        else:
            if not k.endswith("embeddings.position_ids"):
                new[relabel_v20(k)] = v
    for (pre, kind), parts in qkv.items():
        if None in parts:
            raise SystemExit("error: text encoder %s: one of q/k/v %s is missing" % (pre, kind))
        new[relabel_v20(pre) + ".in_proj_" + kind] = Merged(parts)
    return {"cond_stage_model.model." + k: v for k, v in new.items()}


def convert_text_v1(sd):
    out = {}
    for k, v in sd.items():
        key = k if k.startswith("text_model.") else "text_model." + k   # transformers state dicts carry it
        out["cond_stage_model.transformer." + key] = v
    return out


def find_weights(comp_dir, base):
    for name in (base + ".safetensors", base + ".fp16.safetensors"):
        if os.path.isfile(os.path.join(comp_dir, name)):
            return os.path.join(comp_dir, name)
    raise SystemExit("error: %s: no %s.safetensors (pickled .bin weights are not supported)" % (comp_dir, base))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--text-format", choices=["auto", "clip", "openclip"], default="auto",
                    help="auto: OpenCLIP (SD 2.x) when the text encoder uses gelu or has >= 23 layers")
    a = ap.parse_args()
    d = a.model_dir
    unet_cfg = load_config(os.path.join(d, "unet", "config.json"))
    vae_cfg = load_config(os.path.join(d, "vae", "config.json"))
    text_cfg = load_config(os.path.join(d, "text_encoder", "config.json"))
    out = convert_unet(read_safetensors(find_weights(os.path.join(d, "unet"), "diffusion_pytorch_model")), unet_cfg)
    out.update(convert_vae(read_safetensors(find_weights(os.path.join(d, "vae"), "diffusion_pytorch_model")), vae_cfg))
    text = read_safetensors(find_weights(os.path.join(d, "text_encoder"), "model"))
    fmt = a.text_format
    if fmt == "auto":
        deep = any(k.endswith("encoder.layers.22.layer_norm2.bias") for k in text)   # the original's test
        fmt = "openclip" if deep or text_cfg.get("hidden_act") == "gelu" else "clip"
    if fmt == "openclip":
        stripped = {k[len("text_model."):] if k.startswith("text_model.") else k: v for k, v in text.items()}
        out.update(convert_text_v20({"text_model." + k: v for k, v in stripped.items()}))
    else:
        out.update(convert_text_v1(text))
    write_safetensors(a.out, out, {"format": "pt"})
    print("%s: %d tensors (text encoder: %s)" % (a.out, len(out), fmt))


if __name__ == "__main__":
    sys.exit(main())
