//! The floor for `mntns ls -t mnt`: the least a program can do to group processes by
//! mount namespace. It lists `/proc` with `getdents64`, reads each `/proc/PID/ns/mnt`
//! link with one `readlinkat` (or `fstatat` with `--stat`, what lsns and the earlier
//! listing code did) relative to an open `/proc`, counts processes per namespace, and
//! prints one `INODE NPROCS LOWEST-PID` line per namespace. No user, no command.

use std::collections::HashMap;
use std::io::Write;

fn main() {
    let stat = std::env::args().any(|a| a == "--stat");
    // SAFETY: a NUL-terminated path; a read-only directory descriptor.
    let proc_fd = unsafe {
        libc::open(
            c"/proc".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    assert!(proc_fd >= 0, "open /proc");
    let mut counts: HashMap<u64, (u32, i32)> = HashMap::with_capacity(2048);
    let mut buf = vec![0u8; 32 * 1024];
    let mut path = [0u8; 32];
    loop {
        // SAFETY: buf is writable for its length.
        let n =
            unsafe { libc::syscall(libc::SYS_getdents64, proc_fd, buf.as_mut_ptr(), buf.len()) };
        assert!(n >= 0, "getdents64 /proc");
        if n == 0 {
            break;
        }
        let mut pos = 0usize;
        while pos < n as usize {
            let reclen = u16::from_ne_bytes([buf[pos + 16], buf[pos + 17]]) as usize;
            let name = &buf[pos + 19..pos + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            pos += reclen;
            if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
                continue;
            }
            // "PID/ns/mnt\0"
            let len = name.len();
            path[..len].copy_from_slice(name);
            path[len..len + 8].copy_from_slice(b"/ns/mnt\0");
            let pid: i32 = std::str::from_utf8(name).unwrap().parse().unwrap();
            let ino = if stat {
                let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
                // SAFETY: NUL-terminated relative path; valid out pointer.
                let rc =
                    unsafe { libc::fstatat(proc_fd, path.as_ptr().cast(), st.as_mut_ptr(), 0) };
                if rc != 0 {
                    continue;
                }
                // SAFETY: fstatat returned 0.
                unsafe { st.assume_init() }.st_ino
            } else {
                let mut link = [0u8; 32];
                // SAFETY: NUL-terminated relative path; link is writable for its length.
                let n = unsafe {
                    libc::readlinkat(
                        proc_fd,
                        path.as_ptr().cast(),
                        link.as_mut_ptr().cast(),
                        link.len(),
                    )
                };
                if n <= 6 {
                    continue;
                }
                // "mnt:[4026531840]"
                let digits = &link[5..n as usize - 1];
                digits
                    .iter()
                    .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'))
            };
            let e = counts.entry(ino).or_insert((0, pid));
            e.0 += 1;
        }
    }
    let mut out = Vec::with_capacity(counts.len() * 32);
    for (ino, (n, pid)) in &counts {
        writeln!(out, "{ino} {n} {pid}").unwrap();
    }
    std::io::stdout().write_all(&out).unwrap();
}
