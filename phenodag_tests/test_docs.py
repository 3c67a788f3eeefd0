"""The docs stay true: every relative link in README.md and docs/ reaches a file, and its anchor a heading."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.MULTILINE)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but - and _ dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(h) for h in HEADING.findall(path.read_text(encoding="utf-8"))}


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_relative_link_reaches_a_file_and_a_heading() -> None:
    broken = []
    for doc in _documents():
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (doc.parent / file_part).resolve() if file_part else doc
            where = f"{doc.relative_to(ROOT)} -> {target}"
            if not dest.exists():
                broken.append(f"{where}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{where}: no heading with anchor #{anchor}")
    assert not broken, "\n".join(broken)


def test_the_slug_follows_github() -> None:
    assert _slug("Answers against the planted truth") == "answers-against-the-planted-truth"
    assert _slug("Crop-strategy sweep (paper Fig. 4)") == "crop-strategy-sweep-paper-fig-4"
    assert _slug("`phenodag demo`: what it runs") == "phenodag-demo-what-it-runs"
    assert _slug("Profiles: `profile_export`") == "profiles-profile_export"


def test_each_guide_names_only_modules_its_stage_has() -> None:
    """A stage guide's ``Core:`` line names files of that stage's package (renamed modules would go stale)."""
    stale = []
    for guide in sorted((ROOT / "docs" / "guide").glob("*.md")):
        package = ROOT / "phenodag" / "core" / guide.stem
        text = guide.read_text(encoding="utf-8")
        if not package.is_dir() or "\nCore: " not in f"\n{text}":
            continue
        core_line = f"\n{text}".split("\nCore: ", 1)[1].split("Dagster:", 1)[0]
        stale += [
            f"{guide.name}: {name}"
            for name in re.findall(r"`(\w+)\.py`", core_line)
            if not (package / f"{name}.py").exists()
        ]
    assert stale == []
