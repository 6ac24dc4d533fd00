"""Arrays in ``.npy`` files (NumPy's format 1.0: C order, little-endian), written chunk by chunk
along the first axis and read back by rows of that axis without loading the rest.

Reads are ordinary file reads into fresh buffers, not a memory map: the file's pages stay in the
operating system's cache and out of the process's resident memory (a mapped page, once touched,
counts there). NumPy reads the same files: ``numpy.load(path, mmap_mode="r")``.
"""

import ast
import ctypes
import os
import platform
import struct
import sys
from pathlib import Path
from typing import BinaryIO, List, Sequence, Tuple, Union

import torch

MAGIC = b"\x93NUMPY\x01\x00"
DTYPES = {torch.float32: "<f4", torch.bool: "|b1"}
PathLike = Union[str, Path]



M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def map_large_allocations(threshold: int = 1 << 20) -> None:
    """On glibc, serve every allocation of ``threshold`` bytes or more by a memory map of its
    own, returned to the system when freed (``mallopt(M_MMAP_THRESHOLD)``). Left alone, glibc
    raises that threshold as large blocks are freed; the windows read date after date then come
    from the heap, which the small results kept between them (predictions) stop from
    shrinking, and a process scoring many dates grows by a fraction of a MiB a date. Nothing
    where ``MALLOC_MMAP_THRESHOLD_`` is set or the C library is not glibc."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or platform.libc_ver()[0] != "glibc":
        return
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, threshold)
    except (OSError, AttributeError):
        pass


def little_endian() -> None:
    """The files are little-endian and torch reads in the machine's order: refuse another."""
    if sys.byteorder != "little":
        raise OSError("panel stores are read and written on little-endian machines only")


def npy_header(dtype: torch.dtype, shape: Sequence[int]) -> bytes:
    """The header of a ``.npy`` file of ``dtype`` and ``shape``, padded to 64 bytes as NumPy
    pads it."""
    little_endian()
    dims = f"{shape[0]}," if len(shape) == 1 else ", ".join(str(n) for n in shape)
    text = f"{{'descr': '{DTYPES[dtype]}', 'fortran_order': False, 'shape': ({dims}), }}"
    text += " " * (-(len(MAGIC) + 2 + len(text) + 1) % 64) + "\n"
    return MAGIC + struct.pack("<H", len(text)) + text.encode("latin1")


def read_header(file: BinaryIO, path: PathLike) -> Tuple[torch.dtype, Tuple[int, ...]]:
    """``(dtype, shape)`` of the ``.npy`` file open in ``file``, left at its first value."""
    little_endian()
    if file.read(len(MAGIC)) != MAGIC:
        raise ValueError(f"{path}: not a .npy file of format 1.0")
    (length,) = struct.unpack("<H", file.read(2))
    header = ast.literal_eval(file.read(length).decode("latin1"))
    dtypes = {descr: dtype for dtype, descr in DTYPES.items()}
    if header.get("descr") not in dtypes or header.get("fortran_order"):
        raise ValueError(f"{path}: expected a C-order array of {', '.join(dtypes)}")
    return dtypes[header["descr"]], tuple(header["shape"])


def tensor_bytes(tensor: torch.Tensor) -> ctypes.Array:
    """The bytes of the contiguous CPU ``tensor`` as a buffer (no copy, no NumPy)."""
    return (ctypes.c_char * (tensor.numel() * tensor.element_size())).from_address(
        tensor.data_ptr()
    )


class ArrayWriter:
    """Writes the array ``path`` of ``dtype`` and ``shape`` from chunks of rows appended in
    order; ``close()`` checks that every row came."""

    def __init__(self, path: PathLike, dtype: torch.dtype, shape: Sequence[int]):
        self.path, self.dtype, self.shape = Path(path), dtype, tuple(shape)
        self.rows = 0
        self.file = open(self.path, "wb")  # noqa: SIM115 -- closed by close()
        self.file.write(npy_header(dtype, self.shape))

    def append(self, chunk: torch.Tensor) -> None:
        """Rows ``chunk: (n, *shape[1:])``, after those already written."""
        if tuple(chunk.shape[1:]) != self.shape[1:] or self.rows + len(chunk) > self.shape[0]:
            raise ValueError(
                f"{self.path.name}: a chunk of shape {tuple(chunk.shape)} after {self.rows} rows "
                f"does not fit shape {self.shape}"
            )
        values = chunk.detach().to("cpu", self.dtype).contiguous()
        self.file.write(tensor_bytes(values))
        self.rows += len(chunk)

    def close(self) -> None:
        self.file.close()
        if self.rows != self.shape[0]:
            raise ValueError(f"{self.path.name}: {self.rows} of {self.shape[0]} rows written")


class StoredArray:
    """An array of a ``.npy`` file, indexed as a tensor along its first axis, reading only the
    rows asked for: ``a[i]``, ``a[i:j]`` (step 1), ``a[rows]`` (a list or 1-D tensor of ints),
    each optionally followed by indices of the other axes (``a[i:j, assets]``, ``a[dates,
    assets]``, as a tensor takes them). Returns tensors; holds no open file, so it pickles."""

    def __init__(self, path: PathLike):
        self.path = Path(path)
        with open(self.path, "rb") as file:
            self.dtype, shape = read_header(file, self.path)
            self.offset = file.tell()
        self.shape = torch.Size(shape)
        item_bytes = torch.empty((), dtype=self.dtype).element_size()
        self.row_bytes = torch.Size(shape[1:]).numel() * item_bytes

    def __len__(self) -> int:
        return self.shape[0]

    def rows(self, start: int, stop: int) -> torch.Tensor:
        """Rows ``start..stop-1``: ``(stop - start, *shape[1:])``, read from the file."""
        shape = (stop - start, *self.shape[1:])
        if stop <= start:
            return torch.empty(0, *self.shape[1:], dtype=self.dtype)
        buffer = bytearray((stop - start) * self.row_bytes)
        with open(self.path, "rb") as file:
            file.seek(self.offset + start * self.row_bytes)
            if file.readinto(buffer) != len(buffer):
                raise ValueError(f"{self.path}: shorter than its header says")
        return torch.frombuffer(buffer, dtype=self.dtype).view(shape)

    def __getitem__(self, index) -> torch.Tensor:
        first, rest = (index[0], index[1:]) if isinstance(index, tuple) else (index, ())
        if torch.is_tensor(first) and first.dim() == 0:
            first = int(first)
        if isinstance(first, int):
            position = first + len(self) if first < 0 else first
            if not 0 <= position < len(self):
                raise IndexError(f"index {first} is out of bounds for {len(self)} rows")
            return self.rows(position, position + 1)[(0, *rest)]
        if isinstance(first, slice):
            start, stop, step = first.indices(len(self))
            if step != 1:
                raise IndexError("a StoredArray takes slices of step 1 only")
            return self.rows(start, max(start, stop))[(slice(None), *rest)]
        wanted = torch.as_tensor(first, dtype=torch.long)
        unique, inverse = torch.unique(wanted, return_inverse=True)
        if len(unique) and not (0 <= int(unique[0]) and int(unique[-1]) < len(self)):
            raise IndexError(f"rows {wanted.tolist()} are out of bounds for {len(self)} rows")
        return self.runs(unique.tolist())[(inverse, *rest)]

    def runs(self, rows: List[int]) -> torch.Tensor:
        """The sorted distinct ``rows``, each run of consecutive ones read at once."""
        parts, start = [], 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                parts.append(self.rows(rows[start], rows[i - 1] + 1))
                start = i
        return torch.cat(parts) if parts else self.rows(0, 0)
