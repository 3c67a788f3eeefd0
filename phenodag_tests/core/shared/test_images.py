from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from phenodag.core.shared.images import ImageDecodeError, decode_image, image_info, to_unit_float, unit_stats


@pytest.fixture
def grey16() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 65535, (40, 50), dtype=np.uint16)


def test_16bit_tiff_plain_and_compressed(tmp_path: Path, grey16: np.ndarray) -> None:
    tifffile.imwrite(tmp_path / "a.tif", grey16)
    tifffile.imwrite(tmp_path / "b.tiff", grey16, compression="zlib")
    for name in ("a.tif", "b.tiff"):
        arr = decode_image(tmp_path / name)
        assert arr.dtype == np.uint16 and np.array_equal(arr, grey16)
    assert image_info(grey16).bit_depth == 16
    assert (image_info(grey16).width, image_info(grey16).height) == (50, 40)


def test_8bit_png_jpeg_and_tiff(tmp_path: Path) -> None:
    img = np.tile(np.arange(0, 250, 5, dtype=np.uint8), (30, 1))
    Image.fromarray(img).save(tmp_path / "a.png")
    Image.fromarray(img).save(tmp_path / "a.jpg", quality=100)
    tifffile.imwrite(tmp_path / "a.tif", img)
    assert np.array_equal(decode_image(tmp_path / "a.png"), img)
    assert np.array_equal(decode_image(tmp_path / "a.tif"), img)
    jpg = decode_image(tmp_path / "a.jpg")
    assert jpg.dtype == np.uint8 and jpg.shape == img.shape
    assert np.abs(jpg.astype(int) - img).max() <= 3


def test_16bit_png(tmp_path: Path, grey16: np.ndarray) -> None:
    Image.fromarray(grey16).save(tmp_path / "a.png")
    arr = decode_image(tmp_path / "a.png")
    assert np.array_equal(arr.astype(np.uint16), grey16)


def test_rgb_export_of_grey_reduces_exactly(tmp_path: Path) -> None:
    grey = np.random.default_rng(1).integers(0, 255, (20, 20), dtype=np.uint8)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "rgb.png")
    Image.fromarray(np.stack([grey] * 4, axis=-1), mode="RGBA").save(tmp_path / "rgba.png")
    assert np.array_equal(decode_image(tmp_path / "rgb.png"), grey)
    assert np.array_equal(decode_image(tmp_path / "rgba.png"), grey)


def test_colour_image_becomes_luma(tmp_path: Path) -> None:
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[..., 0] = 100
    rgb[..., 1] = 200
    Image.fromarray(rgb).save(tmp_path / "c.png")
    arr = decode_image(tmp_path / "c.png")
    assert arr.shape == (4, 4) and int(arr[0, 0]) == round(0.299 * 100 + 0.587 * 200)


def test_rgb_jpeg_decodes_to_the_luma_of_its_rgb(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    grey = rng.integers(0, 255, (96, 130), dtype=np.uint8)
    Image.fromarray(np.stack([grey] * 3, axis=-1)).save(tmp_path / "grey.jpg", quality=90)
    with Image.open(tmp_path / "grey.jpg") as im:
        rgb = np.asarray(im.convert("RGB"))
    assert np.array_equal(decode_image(tmp_path / "grey.jpg"), rgb[..., 0])  # a grey export: the same pixels
    colour = rng.integers(0, 255, (96, 130, 3), dtype=np.uint8)
    Image.fromarray(colour).save(tmp_path / "colour.jpg", quality=95)
    with Image.open(tmp_path / "colour.jpg") as im:
        luma = np.asarray(im.convert("RGB")).astype(np.float64) @ [0.299, 0.587, 0.114]
    assert np.abs(decode_image(tmp_path / "colour.jpg").astype(float) - luma).mean() < 2.0


@pytest.mark.parametrize("name", ["cut.tif", "cut.png", "cut.jpg"])
def test_truncated_files_raise_naming_the_file(tmp_path: Path, grey16: np.ndarray, name: str) -> None:
    full = tmp_path / ("full" + Path(name).suffix)
    if name.endswith(".tif"):
        tifffile.imwrite(full, grey16)
    else:
        Image.fromarray((grey16 >> 8).astype(np.uint8)).save(full)
    data = full.read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageDecodeError, match=name):
        decode_image(tmp_path / name)


def test_garbage_and_unknown_types(tmp_path: Path) -> None:
    (tmp_path / "x.tif").write_bytes(b"not a tiff at all")
    with pytest.raises(ImageDecodeError, match=r"x\.tif"):
        decode_image(tmp_path / "x.tif")
    (tmp_path / "x.bmp").write_bytes(b"BM")
    with pytest.raises(ImageDecodeError, match="unknown image type"):
        decode_image(tmp_path / "x.bmp")
    with pytest.raises(ImageDecodeError, match=r"missing\.tif"):
        decode_image(tmp_path / "missing.tif")


def test_unit_float_scaling() -> None:
    assert to_unit_float(np.array([[0, 255]], dtype=np.uint8)).tolist() == [[0.0, 1.0]]
    assert to_unit_float(np.array([[65535]], dtype=np.uint16)).tolist() == [[1.0]]
    assert to_unit_float(np.array([[0.5]], dtype=np.float32)).dtype == np.float32


def test_real_t98g_frame(t98g_frames: list[Path]) -> None:
    arr = decode_image(t98g_frames[0])
    info = image_info(arr)
    assert (info.width, info.height, info.bit_depth) == (1024, 1022, 16)
    assert arr.std() > 0  # a real image, not a blank plane


def test_contrast_stretch_centres_and_spans_the_range() -> None:
    from phenodag.core.shared.images import contrast_stretch

    rng = np.random.default_rng(0)
    grey = (0.5 + 0.03 * rng.normal(size=(64, 64))).astype(np.float32)
    out = contrast_stretch(grey)
    assert abs(float(out.mean()) - 0.5) < 0.01 and 0.2 < float(out.std()) < 0.3  # ±2 sd → [0, 1]
    assert out.min() >= 0 and out.max() <= 1 and out.dtype == np.float32
    assert (contrast_stretch(np.full((4, 4), 0.3, np.float32)) == 0.5).all()


def test_header_gives_size_and_depth_without_decoding(tmp_path: Path, grey16: np.ndarray) -> None:
    from phenodag.core.shared.images import read_header

    tifffile.imwrite(tmp_path / "a.tif", grey16)
    Image.fromarray(np.zeros((5, 7), np.uint8)).save(tmp_path / "b.png")
    assert read_header(tmp_path / "a.tif") == image_info(grey16)
    assert (read_header(tmp_path / "b.png").width, read_header(tmp_path / "b.png").bit_depth) == (7, 8)
    with pytest.raises(ImageDecodeError, match="budget of 10"):
        read_header(tmp_path / "a.tif", max_pixels=10)


def test_fifo_is_refused_without_opening(tmp_path: Path) -> None:
    import os

    from phenodag.core.shared.images import read_header

    os.mkfifo(tmp_path / "pipe.tif")
    with pytest.raises(ImageDecodeError, match="not a regular file"):
        read_header(tmp_path / "pipe.tif")


def test_safe_reason_drops_file_bytes() -> None:
    from phenodag.core.shared.images import safe_reason

    text = safe_reason(ValueError("not a TIFF file b'root:x:0:0\\x00' at offset 0"))
    assert text.startswith("ValueError:") and "root" not in text and "<bytes>" in text


def test_unit_stats_equal_the_float_images_stats() -> None:
    for dtype in (np.uint8, np.uint16):
        img = np.random.default_rng(1).integers(0, np.iinfo(dtype).max // 3, (300, 200)).astype(dtype)
        unit = to_unit_float(img).astype(np.float64)
        assert np.allclose(unit_stats(img), (unit.mean(), unit.std()), rtol=1e-6)  # float32 levels
