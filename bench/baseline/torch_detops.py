#!/usr/bin/python3
"""torchvision's native NMS and RoIAlign (Debian python3-torchvision 0.14), the baseline of `detops` in
bench/PaddleX.Cloud.Bench, on the inputs both read from one folder:
  torch_detops.py make --dir DIR                      writes the inputs (raw little-endian float32/int64 + shapes.json)
  torch_detops.py bench --dir DIR --op nms-10k --threads 2 --runs 20 --warmup 3
prints "RESULT <op> <threads> <median ms per call> <CPU ms per call> <check>"; check (kept count, or sums of output and gradient)
must equal ours, which proves both engines ran the same work.
Ops: nms-1k, nms-10k (IoU 0.5), batched-nms-10k (80 classes), roi-align (512 rois x 256 channels, 7x7, sampling 2,
aligned, forward), roi-align-fwd-bwd (forward + backward of a fixed upstream gradient).
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torchvision


def boxes(gen, n, extent, min_size, max_size):
    xy = torch.rand(n, 2, generator=gen) * extent
    wh = min_size + torch.rand(n, 2, generator=gen) * (max_size - min_size)
    return torch.cat([xy, xy + wh], dim=1)


def make(d):
    os.makedirs(d, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    inputs = {}
    for n in (1000, 10000):
        # Detector-like: many boxes jittered around few objects, plus background clutter.
        centres = boxes(gen, 50, 700.0, 20.0, 200.0)
        pick = torch.randint(0, 50, (n,), generator=gen)
        b = centres[pick] + torch.randn(n, 4, generator=gen) * 8.0
        b[:, 2:] = torch.maximum(b[:, 2:], b[:, :2] + 1)
        inputs[f"boxes{n}"] = b
        inputs[f"scores{n}"] = torch.rand(n, generator=gen)
    inputs["classes10000"] = torch.randint(0, 80, (10000,), generator=gen)
    # A Faster R-CNN box head at 800x1088 input, stride 16: 512 sampled proposals per image, 2 images.
    inputs["features"] = torch.randn(2, 256, 50, 68, generator=gen)
    rb = boxes(gen, 512, 900.0, 16.0, 300.0)
    inputs["rois"] = torch.cat([torch.randint(0, 2, (512, 1), generator=gen).float(), rb], dim=1)
    inputs["upstream"] = torch.randn(512, 256, 7, 7, generator=gen)
    shapes = {}
    for name, t in inputs.items():
        t.numpy().tofile(os.path.join(d, name + ".bin"))
        shapes[name] = [list(t.shape), str(t.dtype).replace("torch.", "")]
    with open(os.path.join(d, "shapes.json"), "w") as f:
        json.dump(shapes, f)


def load(d, name):
    with open(os.path.join(d, "shapes.json")) as f:
        shape, dtype = json.load(f)[name]
    return torch.from_numpy(np.fromfile(os.path.join(d, name + ".bin"), dtype=dtype).reshape(shape))


def bench(a):
    torch.set_num_threads(a.threads)
    d = a.dir
    if a.op.startswith("nms-") or a.op.startswith("batched-nms-"):
        n = 1000 if a.op.endswith("1k") else 10000
        b, s = load(d, f"boxes{n}"), load(d, f"scores{n}")
        if a.op.startswith("batched"):
            c = load(d, "classes10000")
            call = lambda: torchvision.ops.batched_nms(b, s, c, 0.5)
        else:
            call = lambda: torchvision.ops.nms(b, s, 0.5)
        check = lambda r: f"{r.numel()}"
    else:
        x, rois, up = load(d, "features"), load(d, "rois"), load(d, "upstream")
        backward = a.op == "roi-align-fwd-bwd"
        x.requires_grad_(backward)

        def call():
            x.grad = None
            out = torchvision.ops.roi_align(x, rois, (7, 7), spatial_scale=1 / 16, sampling_ratio=2, aligned=True)
            if backward:
                out.backward(up)
            return out

        check = lambda r: f"{r.detach().double().sum().item():.3f}" + (f"/{x.grad.double().sum().item():.3f}" if backward else "")
    times = []
    result = None
    cpu_start = 0.0
    for i in range(a.warmup + a.runs):
        if i == a.warmup:
            cpu_start = time.process_time()
        start = time.perf_counter()
        result = call()
        if i >= a.warmup:
            times.append((time.perf_counter() - start) * 1000)
    cpu = (time.process_time() - cpu_start) * 1000 / a.runs
    print(f"RESULT {a.op} {a.threads} {statistics.median(times):.2f} {cpu:.2f} {check(result)}", flush=True)


p = argparse.ArgumentParser()
p.add_argument("mode", choices=["make", "bench"])
p.add_argument("--dir", required=True)
p.add_argument("--op", default="nms-10k")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--runs", type=int, default=20)
p.add_argument("--warmup", type=int, default=3)
args = p.parse_args()
make(args.dir) if args.mode == "make" else bench(args)
