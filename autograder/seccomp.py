"""Block network sockets in the worker with a seccomp filter (no libseccomp needed).

The network namespace of the sandbox already leaves a worker with nothing but a loopback
device; this filter is the second wall, and the only one where namespaces are unavailable.
It lets ``socket()`` create only AF_UNIX sockets (Python's multiprocessing and torch's
DataLoader use them), refuses io_uring (whose IORING_OP_SOCKET would bypass the check) and
refuses every system call made through another ABI (``int 0x80``, x32), which a filter
that looks up numbers for one ABI cannot judge. Once installed it cannot be removed.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

# linux/audit.h, linux/seccomp.h, linux/filter.h, linux/prctl.h
_ARCHES = {
    # machine: (AUDIT_ARCH_*, __NR_socket, __NR_io_uring_setup, first number of a foreign ABI or None)
    "x86_64": (0xC000003E, 41, 425, 0x40000000),
    "aarch64": (0xC00000B7, 198, 425, None),
}
_AF_UNIX = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16  # struct seccomp_data (arg0's low word on little-endian)


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in _ARCHES


def _program() -> list[tuple[int, int, int, int]]:
    arch, nr_socket, nr_uring, foreign = _ARCHES[platform.machine()]
    deny = _RET_ERRNO | errno.EPERM
    # each instruction: (code, jump if true, jump if false, k); jumps count instructions skipped
    prog = [(_LD_W_ABS, 0, 0, _OFF_ARCH), (_JEQ_K, 1, 0, arch), (_RET_K, 0, 0, deny), (_LD_W_ABS, 0, 0, _OFF_NR)]
    if foreign is not None:
        prog += [(_JGE_K, 0, 1, foreign), (_RET_K, 0, 0, deny)]
    prog += [
        (_JEQ_K, 0, 1, nr_uring), (_RET_K, 0, 0, deny),
        (_JEQ_K, 1, 0, nr_socket), (_RET_K, 0, 0, _RET_ALLOW),
        (_LD_W_ABS, 0, 0, _OFF_ARG0), (_JEQ_K, 0, 1, _AF_UNIX), (_RET_K, 0, 0, _RET_ALLOW),
        (_RET_K, 0, 0, deny),
    ]
    return prog


def block_network() -> bool:
    """Install the filter in this process (inherited by its children); False where it cannot be."""
    if not supported():
        return False
    prog = _program()
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(prog), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    # no_new_privs: required for an unprivileged filter, and a setuid program can't shed it either
    if prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        return False
    return prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) == 0
