"""Make ``import torchvision`` work where its C extension does not load.

The registry's torchvision 0.28.0 is a CUDA build; with the CPU build of torch 2.13.0
its ``_C`` extension fails to load, and ``import torchvision`` then fails with
"operator torchvision::nms does not exist" (pytorch/vision#9085), because its meta
registrations refer to operators that only the extension defines. :func:`ensure_torchvision`
tries to load the extension; only when that fails does it define the operators'
schemas (no kernels), so that models and ``transforms.v2`` import and run. The
detection and box operators (nms, roi_align, deform_conv2d, ...) stay unusable there,
and ``torchvision.io`` cannot decode images: phenodag decodes with tifffile/Pillow.

Import this module (or call :func:`ensure_torchvision`) before anything imports
torchvision; phenodag's encoder modules do.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

# Operator schemas of torchvision's C++ extension (its public operator interface).
_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align": "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward": "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, int sampling_ratio, "
    "bool aligned) -> Tensor",
    "qroi_align": "qroi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align": "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward": "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, "
    "SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool": "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward": "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, "
    "SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, "
    "SymInt width) -> Tensor",
    "ps_roi_pool": "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, "
    "SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward": "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, "
    "float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, "
    "SymInt height, SymInt width) -> Tensor",
    "deform_conv2d": "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, "
    "SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, "
    "SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward": "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, "
    "Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, "
    "SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> "
    "(Tensor, Tensor, Tensor, Tensor, Tensor)",
}
_library: torch.library.Library | None = None
_state: str | None = None


def _extension_path() -> Path | None:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return None
    found = sorted(Path(spec.origin).parent.glob("_C*.so")) + sorted(Path(spec.origin).parent.glob("_C*.pyd"))
    return found[0] if found else None


def ensure_torchvision() -> str:
    """Prepare torch so that ``import torchvision`` succeeds; idempotent.

    Returns
    -------
    str
        ``"extension"`` when torchvision's C extension loads (nothing was changed),
        ``"schemas"`` when the missing operator schemas were defined instead, or
        ``"absent"`` when torchvision is not installed.
    """
    global _library, _state
    if _state is not None:
        return _state
    path = _extension_path()
    if path is None:
        _state = "absent"
        return _state
    try:
        torch.ops.load_library(str(path))
        _state = "extension"
    except OSError as exc:
        logger.debug("torchvision extension %s does not load (%s); defining operator schemas", path, exc)
        _library = torch.library.Library("torchvision", "FRAGMENT")
        for name, schema in _SCHEMAS.items():
            if not torch._C._dispatch_has_kernel(f"torchvision::{name}") and not _has_schema(name):
                _library.define(schema)
        _state = "schemas"
    return _state


def _has_schema(name: str) -> bool:
    try:
        getattr(torch.ops.torchvision, name)
    except (AttributeError, RuntimeError):
        return False
    return True


ensure_torchvision()
