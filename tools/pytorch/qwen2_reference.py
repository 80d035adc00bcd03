#!/usr/bin/env python3
"""PyTorch reference for research4j's Qwen2 decoder, in the manner of llm.c's debug state.

Loads a tiny Hugging Face model directory that research4j wrote (config.json + model.safetensors),
runs the same Qwen2 architecture written out in plain PyTorch (no transformers library needed),
and records the inputs, the logits, the loss and the gradient of every parameter into one
safetensors file that the Java test compares against.

    /usr/bin/python3 tools/pytorch/qwen2_reference.py MODEL_DIR OUT.safetensors [--batch 2 --seq 16]

Everything runs in float64 so that the recording is the exact answer to within ~1e-12 and the
Java float32 model's differences are its own rounding only. The one exception is deliberate: the
RoPE cos/sin tables are computed in float32 and then widened, exactly as Hugging Face's
Qwen2RotaryEmbedding (and research4j's kernels) compute them.

The loss is the mean cross-entropy over the targets that are not -100 (positions 0..seq/4-1 of
the first sequence are ignored, as a prompt would be).
"""
import argparse
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        dt = meta["dtype"]
        if dt == "BF16":
            raw = np.frombuffer(data[b:e], dtype=np.uint16).astype(np.uint32) << 16
            arr = raw.view(np.float32)
        else:
            arr = np.frombuffer(data[b:e], dtype=DTYPES[dt])
        out[name] = arr.reshape(meta["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        dt = {np.dtype(np.float32): "F32", np.dtype(np.int32): "I32"}[arr.dtype]
        raw = arr.tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in blobs:
            f.write(raw)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(p, cfg, ids):
    B, T = ids.shape
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg.get("head_dim") or cfg["hidden_size"] // H
    eps = cfg["rms_norm_eps"]
    # HF Qwen2RotaryEmbedding: inv_freq in float32, angles pos * inv_freq, then cos/sin.
    inv_freq = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv_freq[None, :]
    emb = torch.cat((ang, ang), dim=-1)
    cos, sin = emb.cos().double(), emb.sin().double()
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)

    h = p["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        pre = f"model.layers.{i}."
        x = rms_norm(h, p[pre + "input_layernorm.weight"], eps)
        q = x @ p[pre + "self_attn.q_proj.weight"].T + p[pre + "self_attn.q_proj.bias"]
        k = x @ p[pre + "self_attn.k_proj.weight"].T + p[pre + "self_attn.k_proj.bias"]
        v = x @ p[pre + "self_attn.v_proj.weight"].T + p[pre + "self_attn.v_proj.bias"]
        q = q.view(B, T, H, D).transpose(1, 2)
        k = k.view(B, T, KV, D).transpose(1, 2)
        v = v.view(B, T, KV, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=1)
        v = v.repeat_interleave(H // KV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / D**0.5 + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, H * D)
        h = h + y @ p[pre + "self_attn.o_proj.weight"].T
        x = rms_norm(h, p[pre + "post_attention_layernorm.weight"], eps)
        gate = x @ p[pre + "mlp.gate_proj.weight"].T
        up = x @ p[pre + "mlp.up_proj.weight"].T
        h = h + (torch.nn.functional.silu(gate) * up) @ p[pre + "mlp.down_proj.weight"].T
    h = rms_norm(h, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else p["lm_head.weight"]
    return h @ head.T


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()

    cfg = json.load(open(f"{args.model_dir}/config.json"))
    weights = read_safetensors(f"{args.model_dir}/model.safetensors")
    params = {n: torch.tensor(a, dtype=torch.float64, requires_grad=True) for n, a in weights.items()}

    rng = np.random.default_rng(args.seed)
    V = cfg["vocab_size"]
    ids = rng.integers(0, V, size=(args.batch, args.seq), dtype=np.int64)
    targets = rng.integers(0, V, size=(args.batch, args.seq), dtype=np.int64)
    targets[0, : args.seq // 4] = -100  # ignored positions, as a prompt would be

    logits = forward(params, cfg, torch.tensor(ids))
    loss = torch.nn.functional.cross_entropy(
        logits.view(-1, V), torch.tensor(targets).view(-1), ignore_index=-100)
    loss.backward()

    rec = {
        # Token ids as F32 (exact below 2^24): research4j's safetensors reader reads float tensors.
        "input_ids": ids.astype(np.float32),
        "targets": targets.astype(np.float32),
        "logits": logits.detach().numpy().astype(np.float32),
        "loss": np.array([loss.item()], dtype=np.float32),
    }
    for n, t in params.items():
        rec["grad." + n] = t.grad.numpy().astype(np.float32)
    write_safetensors(args.out, rec)
    print(f"loss {loss.item():.6f}; wrote {len(rec)} tensors to {args.out}")


if __name__ == "__main__":
    main()
