#!/usr/bin/python3
"""PyTorch (Debian python3-torch / python3-torchvision) baseline for Faster R-CNN and Mask R-CNN throughput.

Same measurement and output line as `PaddleX.Cloud.Bench rcnn-train|rcnn-infer [--mask]`:
  torch_rcnn_bench.py train --size 512 --batch 2 --steps 5 --warmup 1 --threads 2 [--mask]
prints "RESULT <train|infer> FasterRCNN-ResNet50 <size> <batch> <threads> <images/s>" (MaskRCNN-ResNet50 with --mask).
torchvision's fasterrcnn_resnet50_fpn / maskrcnn_resnet50_fpn (no pretrained weights: trainable BatchNorm, like
ours from scratch, 90 classes + background) is called stage by stage (backbone, RPN, RoI heads) on random pictures
of one size with three fixed boxes each (with --mask each box is also its object's mask), skipping its
resize-and-normalise transform, which our engine does in the data pipeline. Mask R-CNN inference includes pasting
the masks into the picture (the transform's postprocess at the same size), as our engine returns them.
Its training proposal counts are set to PaddleX's (2000 before, 1000 after NMS), which our engine uses.
"""
import argparse
import time

import torch
import torchvision
from torchvision.models.detection.image_list import ImageList


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "infer"])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mask", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    build = torchvision.models.detection.maskrcnn_resnet50_fpn if a.mask else torchvision.models.detection.fasterrcnn_resnet50_fpn
    model = build(weights=None, weights_backbone=None, num_classes=91)
    model.rpn._pre_nms_top_n = dict(training=2000, testing=1000)
    model.rpn._post_nms_top_n = dict(training=1000, testing=1000)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=1e-4)
    images = torch.randn(a.batch, 3, a.size, a.size)
    sizes = [(a.size, a.size)] * a.batch
    boxes = torch.tensor([[0.1, 0.1, 0.5, 0.5], [0.4, 0.3, 0.9, 0.8], [0.2, 0.6, 0.6, 0.95]]) * a.size
    targets = [{"boxes": boxes.clone(), "labels": torch.tensor([1, 2, 3])} for _ in range(a.batch)]
    if a.mask:
        masks = torch.zeros(3, a.size, a.size, dtype=torch.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.round().long().tolist()):
            masks[k, y1:y2, x1:x2] = 1
        for t in targets:
            t["masks"] = masks.clone()
    name = "MaskRCNN-ResNet50" if a.mask else "FasterRCNN-ResNet50"
    train = a.mode == "train"
    model.train(train)
    start = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            start = time.perf_counter()
        if train:
            optimizer.zero_grad()
            features = model.backbone(images)
            proposals, rpn_losses = model.rpn(ImageList(images, sizes), features, targets)
            _, roi_losses = model.roi_heads(features, proposals, sizes, targets)
            loss = sum(rpn_losses.values()) + sum(roi_losses.values())
            loss.backward()
            optimizer.step()
            loss.item()
        else:
            with torch.no_grad():
                features = model.backbone(images)
                proposals, _ = model.rpn(ImageList(images, sizes), features)
                detections, _ = model.roi_heads(features, proposals, sizes)
                if a.mask:
                    detections = model.transform.postprocess(detections, sizes, sizes)
                sum(len(d["boxes"]) for d in detections)
    elapsed = time.perf_counter() - start
    print(f"RESULT {a.mode} {name} {a.size} {a.batch} {a.threads} {a.steps * a.batch / elapsed:.2f}")


if __name__ == "__main__":
    main()
