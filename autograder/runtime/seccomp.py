"""Block network sockets and new user namespaces in the worker with a seccomp filter (no libseccomp needed).

The network namespace of the sandbox already leaves a worker with nothing but a loopback
device; this filter is the second wall, and the only one where namespaces are unavailable.
It lets ``socket()`` create only AF_UNIX sockets (Python's multiprocessing and torch's
DataLoader use them), refuses io_uring (whose IORING_OP_SOCKET would bypass the check),
refuses ``clone``/``unshare`` with CLONE_NEWUSER (user namespaces are kernel attack surface a
worker never needs) and every system call made through another ABI (``int 0x80``, x32),
which a filter that looks up numbers for one ABI cannot judge. It also refuses the two kinds of
kernel state that outlive a process and that the warm template's sweep cannot list: keyrings
(``add_key``, ``request_key``, ``keyctl``: a uid's user keyring is shared by every child of a
lane) and POSIX message queues (``mq_open``: they live in the IPC namespace until unlinked), so
nothing one student's worker leaves there can reach the next. Once installed it cannot be
removed, and the worker's children inherit it.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

# linux/audit.h, asm/unistd.h, linux/seccomp.h, linux/filter.h, linux/prctl.h, linux/sched.h
_ARCHES = {
    # machine: AUDIT_ARCH_*, first number of a foreign ABI (x32) or None, and the system calls filtered
    "x86_64": (0xC000003E, 0x40000000, {"socket": 41, "clone": 56, "unshare": 272, "io_uring_setup": 425,
                                        "clone3": 435, "mq_open": 240, "add_key": 248, "request_key": 249,
                                        "keyctl": 250}),
    "aarch64": (0xC00000B7, None, {"socket": 198, "clone": 220, "unshare": 97, "io_uring_setup": 425,
                                   "clone3": 435, "mq_open": 180, "add_key": 217, "request_key": 218,
                                   "keyctl": 219}),
}
LINGERING = ("mq_open", "add_key", "request_key", "keyctl")
_AF_UNIX = 1
_CLONE_NEWUSER = 0x10000000
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET_K = 0x06  # BPF_RET | BPF_K
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16  # struct seccomp_data (arg0's low word on little-endian)


def supported() -> bool:
    """Whether this machine's architecture has a filter here."""
    return platform.machine() in _ARCHES


def _assemble(program: list[tuple]) -> list[tuple[int, int, int, int]]:
    """Resolve ("label",) markers and jump targets given as label names into BPF's relative offsets."""
    labels, index = {}, 0
    for item in program:
        if len(item) == 1:
            labels[item[0]] = index
        else:
            index += 1
    out: list[tuple[int, int, int, int]] = []
    for item in program:
        if len(item) == 1:
            continue
        code, jt, jf, k = item
        here = len(out)
        jt = labels[jt] - here - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - here - 1 if isinstance(jf, str) else jf
        out.append((code, jt, jf, k))
    return out


def _program() -> list[tuple[int, int, int, int]]:
    arch, foreign, nr = _ARCHES[platform.machine()]
    deny, no_clone3 = _RET_ERRNO | errno.EPERM, _RET_ERRNO | errno.ENOSYS
    program: list[tuple] = [(_LD_W_ABS, 0, 0, _OFF_ARCH), (_JEQ_K, 0, "deny", arch), (_LD_W_ABS, 0, 0, _OFF_NR)]
    if foreign is not None:
        program += [(_JGE_K, "deny", 0, foreign)]
    program += [
        (_JEQ_K, "deny", 0, nr["io_uring_setup"]),  # IORING_OP_SOCKET would bypass the socket() check
        # state that outlives the process and that no sweep between two students can list
        *((_JEQ_K, "deny", 0, nr[name]) for name in LINGERING),
        # clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc fall back to clone
        (_JEQ_K, "enosys", 0, nr["clone3"]),
        (_JEQ_K, "flags", 0, nr["unshare"]),
        (_JEQ_K, "flags", 0, nr["clone"]),
        (_JEQ_K, "socket", 0, nr["socket"]),
        (_RET_K, 0, 0, _RET_ALLOW),
        ("flags",), (_LD_W_ABS, 0, 0, _OFF_ARG0), (_JSET_K, "deny", 0, _CLONE_NEWUSER), (_RET_K, 0, 0, _RET_ALLOW),
        ("socket",), (_LD_W_ABS, 0, 0, _OFF_ARG0), (_JEQ_K, 0, "deny", _AF_UNIX), (_RET_K, 0, 0, _RET_ALLOW),
        ("enosys",), (_RET_K, 0, 0, no_clone3),
        ("deny",), (_RET_K, 0, 0, deny),
    ]
    return _assemble(program)


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
