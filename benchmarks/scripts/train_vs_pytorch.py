#!/usr/bin/env python3
"""The PyTorch side of train-vs-pytorch.sh: the benchmark Qwen2 model in plain torch, float32, CPU.

Same architecture and sizes as research4j's BenchModel (d=256, 4 layers, 4 heads of 64, 2 KV
heads, SwiGLU 704, q/k/v bias, tied embeddings, vocab 4096), trained with torch.optim.AdamW at
B=8, T=256 on a fixed random batch. Prints one line per timed step and the median as tokens/s.

    /usr/bin/python3 benchmarks/scripts/train_vs_pytorch.py [--threads 2 --warmup 3 --steps 10]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

VOCAB, D, FF, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 4096, 256, 704, 4, 4, 2, 64
THETA, EPS = 10000.0, 1e-6


class RMSNorm(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(D)
        self.q_proj = torch.nn.Linear(D, HEADS * HEAD_DIM, bias=True)
        self.k_proj = torch.nn.Linear(D, KV_HEADS * HEAD_DIM, bias=True)
        self.v_proj = torch.nn.Linear(D, KV_HEADS * HEAD_DIM, bias=True)
        self.o_proj = torch.nn.Linear(HEADS * HEAD_DIM, D, bias=False)
        self.post_attention_layernorm = RMSNorm(D)
        self.gate_proj = torch.nn.Linear(D, FF, bias=False)
        self.up_proj = torch.nn.Linear(D, FF, bias=False)
        self.down_proj = torch.nn.Linear(FF, D, bias=False)

    def forward(self, h, cos, sin, mask):
        B, T, _ = h.shape
        x = self.input_layernorm(h)
        q = self.q_proj(x).view(B, T, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k_proj(x).view(B, T, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(x).view(B, T, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / HEAD_DIM ** 0.5 + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, HEADS * HEAD_DIM)
        h = h + self.o_proj(y)
        x = self.post_attention_layernorm(h)
        return h + self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Qwen2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(VOCAB, D)
        self.layers = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(D)
        for m in self.modules():  # HF init: normal(0, 0.02), biases 0
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, std=0.02)
                if getattr(m, "bias", None) is not None:
                    torch.nn.init.zeros_(m.bias)

    def hidden(self, ids):
        """The final-norm hidden states [B, T, D], before the LM head."""
        T = ids.shape[1]
        inv_freq = 1.0 / (THETA ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv_freq[None, :]
        emb = torch.cat((ang, ang), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), float("-inf")).triu(1)
        h = self.embed_tokens(ids)
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        return self.norm(h)

    def forward(self, ids):
        return self.hidden(ids) @ self.embed_tokens.weight.T  # tied LM head


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    model = Qwen2()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    stream = torch.randint(0, VOCAB, (args.batch, args.seq + 1))
    ids, targets = stream[:, :-1], stream[:, 1:]
    try:  # the kernel set OpenBLAS chose (or was told: OPENBLAS_CORETYPE) for this CPU
        import ctypes
        ob = ctypes.CDLL("libopenblas.so.0")
        ob.openblas_get_corename.restype = ctypes.c_char_p
        core = f", OpenBLAS kernels {ob.openblas_get_corename().decode()}"
    except OSError:
        core = ""
    print(f"# pytorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{sum(p.numel() for p in model.parameters())} parameters{core}")

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids).view(-1, VOCAB), targets.reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    secs = []
    for i in range(args.steps):
        t0 = time.perf_counter()
        loss = step()
        secs.append(time.perf_counter() - t0)
        print(f"pytorch step {i}: {secs[-1] * 1e3:.1f} ms, loss {loss:.4f}")
    median = statistics.median(secs)
    tokens = args.batch * args.seq
    print(f"pytorch train: median step {median * 1e3:.1f} ms, {tokens / median:.0f} tokens/s")


if __name__ == "__main__":
    main()
