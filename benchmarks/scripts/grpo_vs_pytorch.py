#!/usr/bin/env python3
"""The PyTorch side of grpo-vs-pytorch.sh: one GRPO policy update of the benchmark Qwen2 model.

The model is train_vs_pytorch.py's (research4j's BenchModel), float32 on the CPU. The update is the
one research4j's PolicyUpdate runs after the rollouts (docs/ARCHITECTURE.md, "The GRPO loss, per
token"), on the same fixed-shape synthetic batch as BenchGrpo: B=8 sequences of T=256, the first 64
tokens the prompt, a 32-token tool-result span in the middle of the response kept out of the loss,
groups of 4. Per update: policy log-probs of the trained tokens (LM head on those rows only), the
frozen reference's without gradient, old = the detached policy's (μ = 1), the clipped per-token loss
with the k3 KL (β = 0.001, ε = 0.2), scaled group advantages, token-mean weights, backward,
global-norm clip at 1.0, AdamW (lr 1e-6, no weight decay). Prints one line per timed update and the
median.

    /usr/bin/python3 benchmarks/scripts/grpo_vs_pytorch.py [--threads 2 --warmup 3 --steps 10]
"""
import argparse
import copy
import statistics
import time

import torch

from train_vs_pytorch import D, VOCAB, Qwen2

PROMPT, RESULT, GROUP = 64, 32, 4
BETA, EPSILON, EPSILON_HIGH, LR, MAX_GRAD_NORM = 0.001, 0.2, 0.2, 1e-6, 1.0


def token_log_probs(model, ids, rows, targets):
    """log p(target) at the flattened positions `rows`: the LM head runs on those rows only."""
    h = model.hidden(ids).reshape(-1, D)[rows]
    logits = h @ model.embed_tokens.weight.T
    return torch.log_softmax(logits, dim=-1).gather(1, targets[:, None]).squeeze(1)


def grpo_loss(logp, old, ref, adv, weight):
    """Σ w·(pg + β·kl) as docs/ARCHITECTURE.md writes it ("The GRPO loss, per token").

    Returns the loss, the per-token kl and the clipped count.
    """
    ratio = torch.exp(logp - old)
    pg = torch.max(-adv * ratio, -adv * ratio.clamp(1 - EPSILON, 1 + EPSILON_HIGH))
    d = ref - logp
    kl = (torch.exp(d) - d - 1).clamp(-10, 10)
    clipped = ((adv > 0) & (ratio > 1 + EPSILON_HIGH)) | ((adv < 0) & (ratio < 1 - EPSILON))
    return (weight * (pg + BETA * kl)).sum(), kl, clipped.sum()


def synthetic_batch(batch, seq, seed):
    """Ids, trained rows and targets, and per-row advantage and weight, as BenchGrpo lays them out."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, VOCAB, (batch, seq), generator=g)
    rewards = torch.rand(batch, generator=g, dtype=torch.float64).view(-1, GROUP)
    adv = (rewards - rewards.mean(1, keepdim=True)) / (rewards.std(1, keepdim=True) + 1e-6)
    response = seq - PROMPT
    trained = torch.ones(response, dtype=torch.bool)
    result_from = (response - RESULT) // 2
    trained[result_from:result_from + RESULT] = False
    pos = torch.arange(response)[trained]  # response token i is predicted at position PROMPT+i-1
    rows = torch.cat([s * seq + PROMPT + pos - 1 for s in range(batch)])
    targets = torch.cat([ids[s, PROMPT + pos] for s in range(batch)])
    per_seq = len(pos)
    row_adv = adv.reshape(-1).float().repeat_interleave(per_seq)
    row_weight = torch.full((batch * per_seq,), 1.0 / (batch * per_seq))  # token-mean
    return ids, rows, targets, row_adv, row_weight


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=256)
    args = ap.parse_args()
    if args.batch % GROUP or args.seq <= PROMPT + RESULT:
        ap.error(f"--batch must be a multiple of {GROUP} and --seq longer than {PROMPT + RESULT}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    policy = Qwen2()
    reference = copy.deepcopy(policy).requires_grad_(False)  # frozen initial policy
    opt = torch.optim.AdamW(policy.parameters(), lr=LR, betas=(0.9, 0.999), weight_decay=0.0)
    ids, rows, targets, adv, weight = synthetic_batch(args.batch, args.seq, 43)
    trained = len(rows)
    print(f"# pytorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{sum(p.numel() for p in policy.parameters())} parameters")
    print(f"# B={args.batch} T={args.seq}: prompt {PROMPT}, result span {RESULT}, "
          f"{trained} trained tokens")

    def step():
        opt.zero_grad(set_to_none=True)
        logp = token_log_probs(policy, ids, rows, targets)
        with torch.no_grad():
            ref = token_log_probs(reference, ids, rows, targets)
        loss, kl, clipped = grpo_loss(logp, logp.detach(), ref, adv, weight)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(policy.parameters(), MAX_GRAD_NORM)
        opt.step()
        return loss.item(), kl.mean().item(), clipped.item() / trained, norm.item()

    def show(what, i, r, secs=None):
        took = "" if secs is None else f"{secs * 1e3:.1f} ms, "
        print(f"{what} {i}: {took}loss {r[0]:.6f}, kl {r[1]:.3g}, grad norm {r[3]:.4f}")

    for i in range(args.warmup):
        show("pytorch warm-up", i, step())
    secs = []
    for i in range(args.steps):
        t0 = time.perf_counter()
        r = step()
        secs.append(time.perf_counter() - t0)
        show("pytorch step", i, r, secs[-1])
    median = statistics.median(secs)
    print(f"pytorch grpo: median step {median * 1e3:.1f} ms, {trained / median:.0f} trained tokens/s, "
          f"{args.batch * args.seq / median:.0f} sequence tokens/s")


if __name__ == "__main__":
    main()
