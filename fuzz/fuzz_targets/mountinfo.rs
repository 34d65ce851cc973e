//! Fuzzes `mntns::table::parse_mountinfo`: any bytes give a table or an `EINVAL` that names
//! the line — never a panic — and a parsed table written back as mountinfo text (with the
//! kernel's escapes) parses to the same records.
#![no_main]

use std::os::unix::ffi::OsStrExt;

use libfuzzer_sys::fuzz_target;
use mntns::Errno;
use mntns::table::{Mount, parse_mountinfo};

/// The kernel's `mangle()`: space, tab, newline and backslash as `\ooo`.
fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\') {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// One mountinfo line for `m`, as `show_mountinfo` in fs/proc_namespace.c prints it.
fn line(m: &Mount) -> Vec<u8> {
    let mut out = format!("{} {} {}:{} ", m.id(), m.parent_id(), m.major(), m.minor()).into_bytes();
    escape(&mut out, m.root().as_os_str().as_bytes());
    out.push(b' ');
    escape(&mut out, m.target().as_os_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(m.options().as_bytes());
    let p = m.propagation();
    if let Some(n) = p.shared {
        out.extend_from_slice(format!(" shared:{n}").as_bytes());
    }
    if let Some(n) = p.master {
        out.extend_from_slice(format!(" master:{n}").as_bytes());
    }
    if let Some(n) = p.propagate_from {
        out.extend_from_slice(format!(" propagate_from:{n}").as_bytes());
    }
    if p.unbindable {
        out.extend_from_slice(b" unbindable");
    }
    out.extend_from_slice(b" - ");
    escape(&mut out, m.fstype().as_bytes());
    out.push(b' ');
    escape(
        &mut out,
        m.source().map(|s| s.as_bytes()).unwrap_or_default(),
    );
    out.push(b' ');
    out.extend_from_slice(m.super_options().as_bytes());
    out.push(b'\n');
    out
}

fuzz_target!(|data: &[u8]| {
    match parse_mountinfo(data) {
        Ok(table) => {
            let lines = data
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            assert_eq!(table.len(), lines);
            let text: Vec<u8> = table.iter().flat_map(line).collect();
            let again = parse_mountinfo(&text).expect("re-escaped table parses");
            assert_eq!(table, again);
        }
        Err(e) => {
            assert_eq!(e.errno(), Errno::EINVAL);
            assert!(e.to_string().contains("line "), "{e}");
        }
    }
});
