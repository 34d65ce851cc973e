//! `clone3(2)`: the argument structure, and the vfork-style call on a separate stack, which
//! needs a few instructions of assembly because the child returns from the system call on a
//! new stack and must call the child function from there. glibc's `clone()` wrapper does
//! the same for `clone(2)`, but it cannot pass `CLONE_CLEAR_SIGHAND` (clone3 only), which
//! saves the child resetting every signal handler one system call at a time.

use std::ffi::{c_int, c_void};

use crate::error::Errno;

/// `CLONE_CLEAR_SIGHAND` (Linux 5.5, clone3 only): every handled signal back to default in
/// the child.
pub(crate) const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// `struct clone_args` up to `tls` (`CLONE_ARGS_SIZE_VER0`; the kernel accepts it).
#[repr(C)]
#[derive(Default, Debug)]
pub(crate) struct CloneArgs {
    pub(crate) flags: u64,
    pub(crate) pidfd: u64,
    pub(crate) child_tid: u64,
    pub(crate) parent_tid: u64,
    pub(crate) exit_signal: u64,
    pub(crate) stack: u64,
    pub(crate) stack_size: u64,
    pub(crate) tls: u64,
}

/// `clone3` for a child that runs `func(arg)` on the stack given in `args` and exits with
/// its return value; returns the child's pid in the parent. Meant for
/// `CLONE_VM | CLONE_VFORK`: the caller's stack frame is untouched by the child.
///
/// # Safety
/// `args.stack`/`args.stack_size` must describe a writable region that no one else uses
/// until the child has exec'd or exited; `func` must not return into anything (it runs on
/// that stack with nothing above it) and must be safe to run in the child the flags create.
#[cfg(target_arch = "x86_64")]
pub(crate) unsafe fn clone3_on_stack(
    args: &mut CloneArgs,
    func: extern "C" fn(*mut c_void) -> c_int,
    arg: *mut c_void,
) -> Result<libc::pid_t, Errno> {
    let ret: isize;
    // SAFETY: the child branch (rax == 0) starts on the new stack the kernel set up from
    // `args`, clears the frame pointer, calls `func(arg)` with the ABI's 16-byte alignment
    // (the stack top is aligned; `call` pushes the return address) and exits the thread
    // with its result; it never comes back into Rust code of the parent's frame. The
    // parent branch returns the syscall result; the kernel clobbers only rcx and r11.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r13",
            "call r12",
            "mov edi, eax",
            "mov eax, 60", // SYS_exit
            "syscall",
            "ud2",
            "2:",
            inlateout("rax") libc::SYS_clone3 as isize => ret,
            in("rdi") args as *mut CloneArgs,
            in("rsi") std::mem::size_of::<CloneArgs>(),
            in("r12") func,
            in("r13") arg,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    if ret < 0 {
        return Err(Errno::from_raw(-ret as i32));
    }
    Ok(ret as libc::pid_t)
}

/// Other architectures: not implemented here; callers fall back to glibc's `clone()`.
///
/// # Safety
/// As for the x86_64 version.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) unsafe fn clone3_on_stack(
    _args: &mut CloneArgs,
    _func: extern "C" fn(*mut c_void) -> c_int,
    _arg: *mut c_void,
) -> Result<libc::pid_t, Errno> {
    Err(Errno::ENOSYS)
}
