"""Detection metrics in numpy: per-class P / R / AP50 / AP50-95 and image-level alert figures.

Matching and AP follow the usual YOLO/COCO recipe: at each IoU threshold 0.50:0.05:0.95 a
prediction is a true positive if it overlaps an unmatched box of its class; AP is the area
under the monotone precision envelope sampled at 101 recall points. Precision and recall are
read at the confidence that maximises that class's F1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
F = npt.NDArray[np.float64]
# Box side (square root of its area) in model-input pixels: the bins of `recall_by_size`.
SIZE_BINS = ((0.0, 16.0), (16.0, 32.0), (32.0, 64.0), (64.0, 128.0), (128.0, float("inf")))


def size_label(lo: float, hi: float) -> str:
    return f"{lo:.0f}+" if hi == float("inf") else f"{lo:.0f}-{hi:.0f}"


def found_at(
    pred_xyxy: np.ndarray,
    pred_conf: np.ndarray,
    pred_cls: np.ndarray,
    gt_xyxy: np.ndarray,
    gt_cls: np.ndarray,
    conf: float | np.ndarray,
) -> npt.NDArray[np.bool_]:
    """Per truth box: does a detection of its class at `conf` or above (one threshold, or one
    per detection) overlap it at IoU 0.5?"""
    strong = pred_conf >= conf
    if not len(gt_cls) or not strong.any():
        return np.zeros(len(gt_cls), bool)
    iou = box_iou(gt_xyxy, pred_xyxy[strong])
    same = gt_cls[:, None] == pred_cls[strong][None, :]
    out: npt.NDArray[np.bool_] = ((iou >= 0.5) & same).any(axis=1)
    return out


def box_iou(a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]) -> F:
    """Pairwise IoU of (N, 4) and (M, 4) xyxy boxes."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    out: F = inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)
    return out


def match(
    pred_xyxy: np.ndarray, pred_cls: np.ndarray, gt_xyxy: np.ndarray, gt_cls: np.ndarray
) -> npt.NDArray[np.bool_]:
    """(N_pred, 10) true-positive flags, one column per IoU threshold."""
    correct = np.zeros((len(pred_cls), len(IOU_THRESHOLDS)), bool)
    if len(pred_cls) == 0 or len(gt_cls) == 0:
        return correct
    iou = box_iou(gt_xyxy, pred_xyxy) * (gt_cls[:, None] == pred_cls[None, :])
    for j, thr in enumerate(IOU_THRESHOLDS):
        gi, pi = np.nonzero(iou >= thr)
        if not len(gi):
            continue
        order = np.argsort(-iou[gi, pi])
        gi, pi = gi[order], pi[order]
        _, first_p = np.unique(pi, return_index=True)
        gi, pi = gi[first_p], pi[first_p]
        order = np.argsort(-iou[gi, pi])
        gi, pi = gi[order], pi[order]
        _, first_g = np.unique(gi, return_index=True)
        correct[pi[first_g], j] = True
    return correct


def average_precision(recall: F, precision: F) -> float:
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.flip(np.maximum.accumulate(np.flip(p)))
    xs = np.linspace(0, 1, 101)
    return float(np.trapezoid(np.interp(xs, r, p), xs))


@dataclass
class Accumulator:
    """Collects per-image predictions and truth; `summary` turns them into figures."""

    nc: int
    alert_conf: float | tuple[float, ...]  # one threshold, or one per class
    tp: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    conf: list[np.ndarray] = field(default_factory=list)
    pcls: list[np.ndarray] = field(default_factory=list)
    gt_counts: npt.NDArray[np.int64] = field(init=False)
    has: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    fired: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    # Per truth box: class, side in model-input pixels, found at the alert threshold.
    box_cls: list[np.ndarray] = field(default_factory=list)
    box_side: list[np.ndarray] = field(default_factory=list)
    box_found: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    thresholds: npt.NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.gt_counts = np.zeros(self.nc, np.int64)
        t = self.alert_conf
        self.thresholds = (
            np.full(self.nc, float(t)) if isinstance(t, float | int) else np.asarray(t, np.float64)
        )
        if self.thresholds.shape != (self.nc,):
            raise ValueError(f"alert thresholds {t!r}: need one or {self.nc}")

    def add(
        self,
        pred_xyxy: np.ndarray,
        pred_conf: np.ndarray,
        pred_cls: np.ndarray,
        gt_xyxy: np.ndarray,
        gt_cls: np.ndarray,
        input_scale: float = 1.0,
    ) -> None:
        """One image; `input_scale` maps its pixels to the model input's (for box sizes)."""
        self.tp.append(match(pred_xyxy, pred_cls, gt_xyxy, gt_cls))
        self.conf.append(pred_conf)
        self.pcls.append(pred_cls)
        self.gt_counts += np.bincount(gt_cls.astype(np.int64), minlength=self.nc)[: self.nc]
        self.has.append(np.bincount(gt_cls.astype(np.int64), minlength=self.nc)[: self.nc] > 0)
        at = self.thresholds[pred_cls.astype(np.int64)] if len(pred_cls) else np.zeros(0)
        strong = pred_cls[pred_conf >= at].astype(np.int64)
        self.fired.append(np.bincount(strong, minlength=self.nc)[: self.nc] > 0)
        wh = np.clip(gt_xyxy[:, 2:] - gt_xyxy[:, :2], 0, None) if len(gt_cls) else np.zeros((0, 2))
        self.box_cls.append(gt_cls.astype(np.int64))
        self.box_side.append(np.sqrt(wh[:, 0] * wh[:, 1]) * input_scale)
        self.box_found.append(found_at(pred_xyxy, pred_conf, pred_cls, gt_xyxy, gt_cls, at))

    def recall_by_size(self, c: int) -> dict[str, dict[str, int]]:
        """Truth boxes of class `c` per size bin, and how many a detection found at the alert
        threshold (IoU 0.5): where in the size range a class is missed."""
        cls = np.concatenate(self.box_cls) if self.box_cls else np.zeros(0, np.int64)
        side = np.concatenate(self.box_side) if self.box_side else np.zeros(0)
        found = np.concatenate(self.box_found) if self.box_found else np.zeros(0, bool)
        out: dict[str, dict[str, int]] = {}
        for lo, hi in SIZE_BINS:
            sel = (cls == c) & (side >= lo) & (side < hi)
            out[size_label(lo, hi)] = {"boxes": int(sel.sum()), "found": int(found[sel].sum())}
        return out

    def summary(self, names: tuple[str, ...]) -> dict[str, dict[str, float | int | None]]:
        tp = np.concatenate(self.tp) if self.tp else np.zeros((0, 10), bool)
        conf = np.concatenate(self.conf) if self.conf else np.zeros(0)
        pcls = np.concatenate(self.pcls) if self.pcls else np.zeros(0)
        has = np.array(self.has).reshape(-1, self.nc)
        fired = np.array(self.fired).reshape(-1, self.nc)
        out: dict[str, dict[str, float | int | None]] = {}
        for c, name in enumerate(names):
            n_gt = int(self.gt_counts[c])
            with_c, without_c = has[:, c], ~has[:, c]
            row: dict[str, float | int | None] = {
                "boxes": n_gt,
                "images_with": int(with_c.sum()),
                "images_without": int(without_c.sum()),
                "image_recall": float(fired[with_c, c].mean()) if with_c.any() else None,
                "false_alarm_rate": float(fired[without_c, c].mean()) if without_c.any() else None,
            }
            sel = pcls == c
            if n_gt == 0:
                row.update(precision=None, recall=None, map50=None, map50_95=None)
                out[name] = row
                continue
            order = np.argsort(-conf[sel])
            tpc = tp[sel][order].astype(np.float64)
            ctp = np.cumsum(tpc, axis=0)
            cfp = np.cumsum(1.0 - tpc, axis=0)
            recall = ctp / n_gt
            precision = ctp / np.maximum(ctp + cfp, 1e-9)
            aps = [
                average_precision(recall[:, j], precision[:, j]) if len(tpc) else 0.0
                for j in range(10)
            ]
            if len(tpc):
                f1 = (
                    2
                    * precision[:, 0]
                    * recall[:, 0]
                    / np.maximum(precision[:, 0] + recall[:, 0], 1e-9)
                )
                best = int(np.argmax(f1))
                p_best, r_best = float(precision[best, 0]), float(recall[best, 0])
            else:
                p_best = r_best = 0.0
            row.update(precision=p_best, recall=r_best, map50=aps[0], map50_95=float(np.mean(aps)))
            out[name] = row
        return out
