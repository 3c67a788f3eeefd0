import subprocess
import sys


def test_torchvision_imports_and_runs_after_compat() -> None:
    code = (
        "import phenodag.core.shared.torch_compat as c, torch, torchvision\n"
        "from torchvision.models import resnet18\n"
        "from torchvision.transforms import v2\n"
        "assert c.ensure_torchvision() in ('extension', 'schemas'), c.ensure_torchvision()\n"
        "assert resnet18(weights=None).eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 1000)\n"
        "assert v2.RandomResizedCrop(16, antialias=True)(torch.rand(1, 40, 40)).shape == (1, 16, 16)\n"
        "print(c.ensure_torchvision())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in ("extension", "schemas")


def test_compat_is_idempotent() -> None:
    from phenodag.core.shared.torch_compat import ensure_torchvision

    assert ensure_torchvision() == ensure_torchvision()
