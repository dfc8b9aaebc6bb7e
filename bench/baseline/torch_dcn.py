#!/usr/bin/python3
"""PyTorch (Debian python3-torch, python3-torchvision) baseline of the `dcn` bench mode.

  torch_dcn.py --op dcn|conv --channels 512 --size 20 --batch 4 --steps 10 --warmup 2 --threads 2
One 3x3 layer, forward + backward: torchvision.ops.deform_conv2d (native kernel) with random offsets and mask, or
the plain convolution of the same shape. Prints "RESULT dcn <op>-<channels> <size> <batch> <threads> <maps/s>".
"""
import argparse
import time

import torch
from torchvision.ops import deform_conv2d


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--op", default="dcn")
    for name, default in (("channels", 512), ("size", 20), ("batch", 4), ("steps", 10), ("warmup", 2), ("threads", 2)):
        p.add_argument("--" + name, type=int, default=default)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.batch, a.channels, a.size, a.size, requires_grad=True)
    weight = (torch.randn(a.channels, a.channels, 3, 3) * 0.01).requires_grad_()
    offset = (torch.randn(a.batch, 18, a.size, a.size) * 2).requires_grad_()
    mask = torch.rand(a.batch, 9, a.size, a.size, requires_grad=True)
    start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
        x.grad = None
        if a.op == "dcn":
            y = deform_conv2d(x, offset, weight, padding=1, mask=mask)
        else:
            y = torch.nn.functional.conv2d(x, weight, padding=1)
        y.sum().backward()
        float(x.grad.sum())
    rate = a.steps * a.batch / (time.perf_counter() - start)
    name = "deform_conv2d" if a.op == "dcn" else "conv2d"
    print(f"RESULT dcn {name}-{a.channels} {a.size} {a.batch} {a.threads} {rate:.2f}")


if __name__ == "__main__":
    main()
