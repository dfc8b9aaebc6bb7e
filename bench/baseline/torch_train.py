#!/usr/bin/python3
"""PyTorch (Debian python3-torch) baseline for bench/PaddleX.Cloud.Bench.

Same measurements, same output line format:
  torch_train.py train --model ResNet18 --size 64 --batch 32 --steps 20 --warmup 3 --threads 2
  torch_train.py infer ...
  torch_train.py data --dir DIR --size 64 --batch 32 --threads 2 --epochs 2
prints "RESULT <what> <model> <size> <batch> <threads> <images/s>".
"""
import argparse
import os
import time

import torch
import torchvision

MODELS = {
    "ResNet18": lambda: torchvision.models.resnet18(num_classes=1000),
    "MobileNetV2": lambda: torchvision.models.mobilenet_v2(num_classes=1000),
}


def model_bench(mode, a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = MODELS[a.model]()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, 1000, (a.batch,))
    model.train(mode == "train")
    start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
            cpu = time.process_time()
        if mode == "train":
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        else:
            with torch.no_grad():
                model(x).sum().item()
    ips = a.steps * a.batch / (time.perf_counter() - start)
    cpu_per_step = (time.process_time() - cpu) / a.steps
    print(f"RESULT {mode} {a.model} {a.size} {a.batch} {a.threads} {ips:.1f} {cpu_per_step:.3f}", flush=True)


LAYERS = [  # name, in, out, kernel, stride, groups, side, BatchNorm + ReLU6 (as LayerBench.cs)
    ("dw3x3-144c-56px", 144, 144, 3, 1, 144, 56, False),
    ("dw3x3-96c-112px-s2", 96, 96, 3, 2, 96, 112, False),
    ("dw3x3-576c-14px", 576, 576, 3, 1, 576, 14, False),
    ("pw1x1-24to144c-56px", 24, 144, 1, 1, 1, 56, False),
    ("pw1x1-144to24c-56px", 144, 24, 1, 1, 1, 56, False),
    ("bn-relu6-144c-56px", 144, 144, 0, 1, 1, 56, True),
    ("conv3x3-64c-56px", 64, 64, 3, 1, 1, 56, False),
]


def layer_bench(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    for name, cin, cout, k, stride, groups, side, norm_act in LAYERS:
        if a.layer and a.layer != name:
            continue
        layer = (torch.nn.Sequential(torch.nn.BatchNorm2d(cout), torch.nn.ReLU6(inplace=True)) if norm_act
                 else torch.nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False))
        layer.train()
        x = torch.randn(a.batch, cin, side, side, requires_grad=True)
        for i in range(a.warmup + a.steps):
            if i == a.warmup:
                cpu, wall = time.process_time(), time.perf_counter()
            layer(x * 1 if norm_act else x).sum().backward()
            x.grad.sum().item()
            x.grad.zero_()
        cpu_ms = (time.process_time() - cpu) * 1000 / a.steps
        wall_ms = (time.perf_counter() - wall) * 1000 / a.steps
        print(f"RESULT layer {name} {a.batch} {a.threads} {cpu_ms:.1f} {wall_ms:.1f}", flush=True)


class ListDataset(torch.utils.data.Dataset):
    def __init__(self, root, size):
        import torchvision.transforms as T
        with open(os.path.join(root, "train_list.txt")) as f:
            self.items = [(os.path.join(root, p), int(l)) for p, l in (line.split() for line in f if line.strip())]
        self.t = T.Compose([
            T.Resize((size, size)),
            T.RandomHorizontalFlip(0.5),
            T.RandomApply([T.ColorJitter(brightness=0.9)], p=0.5),
            T.RandomApply([T.ColorJitter(contrast=0.9)], p=0.5),
            T.RandomApply([T.ColorJitter(saturation=0.9)], p=0.5),
            T.RandomApply([T.ColorJitter(hue=18 / 360)], p=0.5),
            T.ToTensor(),
            T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ])

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        from PIL import Image
        path, label = self.items[i]
        with Image.open(path) as im:
            return self.t(im.convert("RGB")), label


def data_bench(a):
    torch.set_num_threads(1)
    ds = ListDataset(a.dir, a.size)
    loader = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=True, drop_last=True,
                                         num_workers=a.threads, persistent_workers=True)
    next(iter(loader))
    n = 0
    start = time.perf_counter()
    for _ in range(a.epochs):
        for x, _ in loader:
            n += x.shape[0]
    ips = n / (time.perf_counter() - start)
    print(f"RESULT data pipeline {a.size} {a.batch} {a.threads} {ips:.1f}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "infer", "data", "layers"])
    p.add_argument("--model", default="ResNet18")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--dir", default="/tmp/pdx-bench-data")
    p.add_argument("--layer", default="")
    a = p.parse_args()
    if a.mode == "data":
        data_bench(a)
    elif a.mode == "layers":
        layer_bench(a)
    else:
        model_bench(a.mode, a)


if __name__ == "__main__":
    main()
