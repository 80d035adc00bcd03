#!/usr/bin/env python3
"""The PyTorch side of decode-vs-torch.sh: Qwen2 decoding with a KV cache in plain torch, CPU.

A hand-written Qwen2 forward (no transformers library): RMSNorm, RoPE (theta from config.json),
grouped-query attention over a preallocated KV cache, SwiGLU MLP, q/k/v bias, tied (or separate)
LM head. q/k/v and gate/up are each one matmul over concatenated weights (the same arithmetic,
fewer calls). Weights come from the checkpoint's safetensors shards (parsed by hand: 8-byte
little-endian header length, JSON header, raw data; bf16 widened exactly).

  --weights f32   weights and activations float32 (OpenBLAS sgemm through torch).
  --weights bf16  weights and activations bfloat16 (oneDNN bf16 matmul); RMSNorm, softmax and
                  sampling in float32, as Hugging Face does.
  --weights int8  every projection and the LM head as int8 weights with one float32 scale per
                  output row (torch.quantize_per_channel, symmetric), run by PyTorch's dynamic
                  quantized linear (torch.ops.quantized.linear_dynamic: activations quantized to
                  8 bits per call, int8 GEMM, float32 out) on its best engine here (fbgemm if
                  built in, else oneDNN; Debian's 1.13 has oneDNN and QNNPACK); activations,
                  the embedding gather, norms and attention float32.

Timing mirrors research4j's RealSizeTiming: per batch size a warm-up (prompts of min(prompt, 32)
tokens, NEW steps), then REPEATS times a fresh cache and BATCH random prompts of PROMPT tokens:
the prefill (all prompt tokens in one forward, logits of the last position, one draw) and the
following NEW - 1 decode steps (one token per sequence each) are timed apart, temperature 1.
Prints each repeat and the medians: prefill tokens/s = batch * prompt / prefill s, decode
tokens/s = batch * (new - 1) / decode s.

    /usr/bin/python3 benchmarks/scripts/decode_torch.py --model DIR [--weights f32|bf16]
        [--batches 1,16] [--prompt 128] [--new 32] [--repeats 3] [--threads 2]

--check instead compares the first-step (prefill) logits and those of a few cached decode steps
against research4j's Qwen2Model.logits for the same token ids (benchmarks/scripts/torch/
JavaLogits.java run on --jar), with float32 weights on both sides, and exits 1 past --tolerance
(max |java - torch| / max |torch| over the compared positions).
"""
import argparse
import ctypes
import json
import os
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def read_shard(path, out):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        if meta["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(data, dtype=np.int16, count=(e - b) // 2, offset=b).copy())
            t = t.view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[b:e], dtype=DTYPES[meta["dtype"]]).copy())
        out[name] = t.reshape(meta["shape"])


def load_tensors(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out = {}
    for name in files:
        read_shard(os.path.join(model_dir, name), out)
    return out


class Qwen2:
    def __init__(self, model_dir, dtype):
        with open(os.path.join(model_dir, "config.json")) as f:
            cfg = json.load(f)
        self.dtype = dtype
        self.H = cfg["num_attention_heads"]
        self.KV = cfg["num_key_value_heads"]
        self.D = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.hidden = cfg["hidden_size"]
        self.ff = cfg["intermediate_size"]
        self.eps = cfg["rms_norm_eps"]
        self.theta = cfg.get("rope_theta", 10000.0)
        self.vocab = cfg["vocab_size"]
        t = load_tensors(model_dir)

        self.int8 = dtype == "int8"
        if self.int8:
            dtype = self.dtype = torch.float32
            engines = torch.backends.quantized.supported_engines
            torch.backends.quantized.engine = "fbgemm" if "fbgemm" in engines else "onednn"

        def w(name):
            return t.pop(name).to(dtype).contiguous()

        def q8(weight, bias=None):
            """A linear layer's weight as int8 per output row (prepacked), or the float one."""
            if not self.int8:
                return weight if bias is None else (weight, bias)
            scales = (weight.abs().amax(dim=1) / 127).clamp(min=1e-12).double()
            zeros = torch.zeros(weight.shape[0], dtype=torch.long)
            qw = torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8)
            return torch.ops.quantized.linear_prepack(qw, bias)

        self.embed = w("model.embed_tokens.weight")
        self.lm_head = self.embed if cfg.get("tie_word_embeddings", False) else w("lm_head.weight")
        self.norm = w("model.norm.weight")
        self.layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            a = p + "self_attn."
            m = p + "mlp."
            wqkv = torch.cat([w(a + "q_proj.weight"), w(a + "k_proj.weight"), w(a + "v_proj.weight")])
            bqkv = torch.cat([w(a + "q_proj.bias"), w(a + "k_proj.bias"), w(a + "v_proj.bias")])
            wo, wgu = w(a + "o_proj.weight"), torch.cat([w(m + "gate_proj.weight"), w(m + "up_proj.weight")])
            wd = w(m + "down_proj.weight")
            n = sum(x.numel() for x in (wqkv, bqkv, wo, wgu, wd))
            self.layers.append(dict(
                ln1=w(p + "input_layernorm.weight"),
                ln2=w(p + "post_attention_layernorm.weight"),
                wqkv=q8(wqkv, bqkv) if self.int8 else wqkv, bqkv=None if self.int8 else bqkv,
                wo=q8(wo), wgu=q8(wgu), wd=q8(wd), n=n))
        self.params = sum(x.numel() for x in [self.embed, self.norm]
                          + ([] if self.lm_head is self.embed else [self.lm_head]))
        self.params += sum(layer["n"] + layer["ln1"].numel() + layer["ln2"].numel() for layer in self.layers)
        # int8: one byte per matrix weight (the float32 embedding table is only gathered from)
        self.weight_bytes = self.params * (1 if self.int8 else self.embed.element_size())
        if self.int8:
            self.lm_head = q8(self.lm_head)
        self.rope_len = 0

    def rope(self, n):
        """cos/sin tables [n, D]: float32 angles (as Hugging Face and research4j), then cast."""
        if n > self.rope_len:
            inv = 1.0 / (self.theta ** (torch.arange(0, self.D, 2, dtype=torch.int64).float() / self.D))
            ang = torch.arange(n, dtype=torch.int64).float()[:, None] * inv[None, :]
            emb = torch.cat((ang, ang), dim=-1)
            self.cos, self.sin = emb.cos().to(self.dtype), emb.sin().to(self.dtype)
            self.rope_len = n
        return self.cos, self.sin

    def new_cache(self, batch, max_len):
        self.rope(max_len)
        shape = (batch, self.KV, max_len, self.D)
        return [(torch.empty(shape, dtype=self.dtype), torch.empty(shape, dtype=self.dtype))
                for _ in self.layers]

    def rms(self, x, w):
        xf = x.float()
        return w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(self.dtype)

    @staticmethod
    def rotate(x, cos, sin):
        half = x.shape[-1] // 2
        return x * cos + torch.cat((-x[..., half:], x[..., :half]), dim=-1) * sin

    def forward(self, ids, start, cache, all_positions=False):
        """ids [B, Tn] at positions start..start+Tn-1 (every sequence alike); writes the cache and
        returns float32 logits [B, vocab] of the last position ([B, Tn, vocab] if all_positions)."""
        B, Tn = ids.shape
        H, KV, D = self.H, self.KV, self.D
        G = H // KV
        S = start + Tn
        cos, sin = self.cos[start:S], self.sin[start:S]
        mask = None
        if Tn > 1:  # query i (position start+i) sees keys 0..start+i
            mask = torch.full((Tn, S), float("-inf")).triu(start + 1).to(self.dtype)
        x = F.embedding(ids, self.embed)
        for layer, (kc, vc) in zip(self.layers, cache):
            h = self.rms(x, layer["ln1"])
            qkv = self.linear(h, layer["wqkv"], layer["bqkv"])
            q, k, v = qkv.split([H * D, KV * D, KV * D], dim=-1)
            q = self.rotate(q.view(B, Tn, H, D).transpose(1, 2), cos, sin)
            kc[:, :, start:S] = self.rotate(k.view(B, Tn, KV, D).transpose(1, 2), cos, sin)
            vc[:, :, start:S] = v.view(B, Tn, KV, D).transpose(1, 2)
            # heads h = g*G .. g*G+G-1 share KV head g: [B, KV, G*Tn, D] against [B, KV, S, D]
            s = (q.reshape(B, KV, G * Tn, D) @ kc[:, :, :S].transpose(-1, -2)) * (D ** -0.5)
            if mask is not None:
                s = (s.view(B, KV, G, Tn, S) + mask).view(B, KV, G * Tn, S)
            p = torch.softmax(s.float(), dim=-1).to(self.dtype)
            o = (p @ vc[:, :, :S]).view(B, H, Tn, D).transpose(1, 2).reshape(B, Tn, H * D)
            x = x + self.linear(o, layer["wo"])
            h = self.rms(x, layer["ln2"])
            g, u = self.linear(h, layer["wgu"]).split(self.ff, dim=-1)
            x = x + self.linear(F.silu(g) * u, layer["wd"])
        if not all_positions:
            x = x[:, -1]
        return self.linear(self.rms(x, self.norm), self.lm_head).float()

    def linear(self, x, w, b=None):
        if self.int8:
            shape = x.shape
            y = torch.ops.quantized.linear_dynamic(x.reshape(-1, shape[-1]).contiguous(), w)
            return y.view(*shape[:-1], y.shape[-1])
        return F.linear(x, w, b)


def draw(logits, gen):
    """Temperature 1: one token per row from softmax(logits)."""
    return torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)


def run(model, batch, prompt, fresh, gen):
    ids = torch.randint(0, model.vocab, (batch, prompt), generator=gen)
    cache = model.new_cache(batch, prompt + fresh + 2)
    t0 = time.perf_counter()
    tok = draw(model.forward(ids, 0, cache), gen)
    t1 = time.perf_counter()
    for i in range(fresh - 1):
        tok = draw(model.forward(tok, prompt + i, cache), gen)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def rss(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024 / 1e9
    return float("nan")


def describe():
    info = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", info)
    cap = re.search(r"CPU capability usage: (\w+)", info)
    lib = "/etc/alternatives/libblas.so.3-x86_64-linux-gnu"
    target = os.path.realpath(lib) if os.path.exists(lib) else "?"
    try:  # the OpenBLAS that torch loaded (the same library, so the same handle)
        ob = ctypes.CDLL("libopenblas.so.0")
        ob.openblas_get_config.restype = ob.openblas_get_corename.restype = ctypes.c_char_p
        openblas = (f", OpenBLAS {ob.openblas_get_config().decode().strip()}, core"
                    f" {ob.openblas_get_corename().decode()}, {ob.openblas_get_num_threads()} threads")
    except OSError:
        openblas = ""
    return (f"pytorch {torch.__version__}, {torch.get_num_threads()} threads (OpenMP), BLAS_INFO="
            f"{blas.group(1) if blas else '?'} (libblas.so.3 -> {target}), mkldnn (oneDNN)"
            f" {torch.backends.mkldnn.is_available()}, CPU capability {cap.group(1) if cap else '?'}{openblas}")


def check(args):
    """First-step and cached-decode logits against research4j's (float32 weights both sides)."""
    model = Qwen2(args.model, torch.float32)
    gen = torch.Generator().manual_seed(1234)
    n = args.check_prompt + args.check_steps
    ids = torch.randint(0, model.vocab, (1, n), generator=gen)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "logits.bin")
        cmd = [args.java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
               "-cp", args.jar, os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch",
                                             "JavaLogits.java"),
               args.model, ",".join(str(i) for i in ids[0].tolist()), out, "f32"]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        java = torch.from_numpy(np.fromfile(out, dtype="<f4")).view(n, -1)[:, :model.vocab]
    rows = []
    with torch.inference_mode():
        for dtype in (torch.float32, torch.bfloat16):
            m = model if dtype == torch.float32 else Qwen2(args.model, dtype)
            cache = m.new_cache(1, n + 1)
            P = args.check_prompt
            got = [m.forward(ids[:, :P], 0, cache)[0]]
            for i in range(P, n - 1):
                got.append(m.forward(ids[:, i:i + 1], i, cache)[0])
            got = torch.stack(got)  # positions P-1 .. n-2
            ref = java[P - 1:n - 1]
            err = (got - ref).abs().max().item() / ref.abs().max().item()
            agree = (got.argmax(-1) == ref.argmax(-1)).float().mean().item()
            name = "f32" if dtype == torch.float32 else "bf16"
            rows.append((name, err, agree))
            print(f"check {name}: {args.model}, prompt {P} tokens + {args.check_steps - 1} cached decode"
                  f" steps: max|java - torch| / max|java| = {err:.2e} (max|java| {ref.abs().max():.3f}),"
                  f" argmax agreement {agree * 100:.0f} %")
    ok = rows[0][1] <= args.tolerance
    print(f"check: float32 {'PASS' if ok else 'FAIL'} (tolerance {args.tolerance:g}); bf16 (activations"
          f" rounded to bfloat16 too) is informational")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--weights", choices=["f32", "bf16", "int8"], default="f32")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--check-prompt", type=int, default=12)
    ap.add_argument("--check-steps", type=int, default=5)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--jar", default="benchmarks/target/benchmarks.jar")
    ap.add_argument("--java", default="java")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.check:
        sys.exit(check(args))
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16, "int8": "int8"}[args.weights]
    print(f"# torch: {describe()}, weights {args.weights}")
    t0 = time.perf_counter()
    model = Qwen2(args.model, dtype)
    if model.int8:
        print(f"# int8: dynamic quantized linear on the {torch.backends.quantized.engine} engine")
    print(f"load: {time.perf_counter() - t0:.2f} s, {model.params:,} parameters, weights"
          f" {model.weight_bytes / 1e9:.2f} GB, RSS after load {rss('VmRSS'):.2f} GB")
    with torch.inference_mode():
        for batch in [int(b) for b in args.batches.split(",")]:
            gen = torch.Generator().manual_seed(7 + batch)
            run(model, batch, min(args.prompt, 32), args.new, gen)  # warm-up
            prefill, decode = [], []
            for r in range(args.repeats):
                sp, sd = run(model, batch, args.prompt, args.new, gen)
                prefill.append(batch * args.prompt / sp)
                decode.append(batch * (args.new - 1) / sd)
                print(f"  batch {batch} repeat {r + 1}: prefill {sp:.2f} s ({prefill[-1]:.1f} tokens/s),"
                      f" decode {sd / (args.new - 1) * 1e3:.1f} ms/step ({decode[-1]:.2f} tokens/s)")
            print(f"batch {batch}: prefill {args.prompt}-token prompts {statistics.median(prefill):.1f}"
                  f" tokens/s, decode {statistics.median(decode):.2f} tokens/s (medians of {args.repeats})")
    print(f"peak RSS (VmHWM) {rss('VmHWM'):.2f} GB")


if __name__ == "__main__":
    main()
