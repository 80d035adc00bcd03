# Records the PyTorch reference of AdamWTest.matchesPyTorchRecording (torch 1.13):
#   /usr/bin/python3 tensor-core/src/test/resources/adamw_torch_recording.py
import math, torch
W = torch.tensor([0.5*math.sin(0.7*i+0.3) for i in range(12)], dtype=torch.float32).reshape(3,4).requires_grad_(True)
b = torch.tensor([0.1*math.cos(i) for i in range(4)], dtype=torch.float32).requires_grad_(True)
opt = torch.optim.AdamW([{'params':[W],'weight_decay':0.1},{'params':[b],'weight_decay':0.0}], lr=0.05, betas=(0.9,0.95), eps=1e-8)
norms=[]
for t in range(1,6):
    W.grad = torch.tensor([math.cos(1.3*i+0.5*t)*(1+0.1*t) for i in range(12)], dtype=torch.float32).reshape(3,4)
    b.grad = torch.tensor([math.sin(0.9*i-0.2*t) for i in range(4)], dtype=torch.float32)
    n = torch.nn.utils.clip_grad_norm_([W,b], 1.0)
    norms.append(n.item())
    opt.step()
print("norms", ", ".join(repr(x) for x in norms))
print("W", ", ".join("%.9ef" % x for x in W.detach().flatten().tolist()))
print("b", ", ".join("%.9ef" % x for x in b.detach().flatten().tolist()))
print(torch.__version__)
