"""Deterministic zips: sorted entries, one fixed timestamp, fixed permissions, fixed compression.

Same input tree, byte-identical zip: instructors can diff releases and checksum them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# the earliest time a zip can store (1980-01-01); any fixed value would do, this one says "not a real date"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
EXECUTABLE = 0o755
REGULAR = 0o644


def tree_files(root: Path) -> list[Path]:
    """Every regular file under ``root``, sorted by relative POSIX path (symlinks are refused)."""
    files = []
    for path in root.rglob("*"):
        if path.is_symlink():
            raise ValueError(f"{path}: symbolic links are not allowed in a release (copy the file instead)")
        if path.is_file():
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # unix, so the permission bits below are honoured by unzip
    info.external_attr = (0o100000 | mode) << 16
    return info


def write_zip(entries: dict[str, bytes], destination: Path, executables: frozenset[str] = frozenset()) -> Path:
    """Write ``name -> content`` entries in name order; names in ``executables`` get mode 755."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name in sorted(entries):
            mode = EXECUTABLE if name in executables else REGULAR
            archive.writestr(_entry(name, mode), entries[name], compresslevel=9)
    return destination


def zip_tree(root: Path, destination: Path, prefix: str = "") -> Path:
    """Zip the tree under ``root`` (entries named ``prefix + relative path``; executable bits kept)."""
    entries, executables = {}, set()
    for path in tree_files(root):
        if path.resolve() == destination.resolve():
            continue
        name = prefix + path.relative_to(root).as_posix()
        entries[name] = path.read_bytes()
        if path.stat().st_mode & 0o111:
            executables.add(name)
    return write_zip(entries, destination, executables)


def zip_texts(destination: Path) -> dict[str, bytes]:
    """Name -> content of every file in a zip (for comparisons and the leak check)."""
    with zipfile.ZipFile(destination) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
