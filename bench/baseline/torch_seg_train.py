#!/usr/bin/python3
"""PyTorch (Debian python3-torch / python3-torchvision) baseline for segmentation training throughput.

Same measurement and output line as `PaddleX.Cloud.Bench train` for segmentation models:
  torch_seg_train.py train --model DeepLabV3P --size 256 --batch 8 --steps 3 --warmup 1 --threads 2
prints "RESULT train <model> <size> <batch> <threads> <images/s>".
Models: DeepLabV3P = torchvision's deeplabv3_resnet50 (output stride 8, ASPP 12/24/36, no auxiliary head);
UNet = the U-Net of PaddleX.Cloud.Vision (models/segmentation/UNet.cs) written again in PyTorch.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def double_conv(cin, cout):
    return nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class UNet(nn.Module):
    """Encoder 64-128-256-512-512 (max-pool between), decoder resizes bilinearly to each skip, concatenates,
    double conv 256-128-64-64, 3x3 classifier."""

    def __init__(self, num_classes, in_channels=3):
        super().__init__()
        enc = [64, 128, 256, 512, 512]
        dec = [256, 128, 64, 64]
        self.inc = double_conv(in_channels, enc[0])
        self.down = nn.ModuleList(double_conv(enc[i - 1], enc[i]) for i in range(1, len(enc)))
        ups, cur = [], enc[-1]
        for i, d in enumerate(dec):
            ups.append(double_conv(cur + enc[len(enc) - 2 - i], d))
            cur = d
        self.up = nn.ModuleList(ups)
        self.cls = nn.Conv2d(cur, num_classes, 3, padding=1)

    def forward(self, x):
        skips = []
        x = self.inc(x)
        for block in self.down:
            skips.append(x)
            x = block(F.max_pool2d(x, 2, 2))
        for i, block in enumerate(self.up):
            skip = skips[-(i + 1)]
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], 1))
        return self.cls(x)


class DeepLab(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = torchvision.models.segmentation.deeplabv3_resnet50(
            weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False)

    def forward(self, x):
        return self.net(x)["out"]


MODELS = {"DeepLabV3P": DeepLab, "UNet": UNet}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train"])
    p.add_argument("--model", default="UNet")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--classes", type=int, default=21)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = MODELS[a.model](a.classes)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size))
    model.train()
    start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        loss.item()
    ips = a.steps * a.batch / (time.perf_counter() - start)
    name = "DeepLabV3P-torchvision_deeplabv3_resnet50" if a.model == "DeepLabV3P" else a.model
    print(f"RESULT train {name} {a.size} {a.batch} {a.threads} {ips:.2f}", flush=True)


if __name__ == "__main__":
    main()
