//! The floor for `mntns mounts`: read `/proc/self/mountinfo` whole and parse it naively —
//! split lines on `\n` and fields on ` `, no unescaping, no validation — then print
//! `TARGET SOURCE FSTYPE OPTIONS` per mount, unaligned, with one write. `--no-print` stops
//! after parsing (counting the mounts), for the bare read-and-parse cost.

use std::io::{Read, Write};

fn main() {
    let print = !std::env::args().any(|a| a == "--no-print");
    let mut text = Vec::with_capacity(1 << 20);
    std::fs::File::open("/proc/self/mountinfo")
        .and_then(|mut f| f.read_to_end(&mut text))
        .expect("read /proc/self/mountinfo");
    let mut out = Vec::with_capacity(if print { text.len() } else { 0 });
    let mut count = 0usize;
    for line in text.split(|&b| b == b'\n') {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        let Some(dash) = fields.iter().position(|f| *f == b"-") else {
            continue;
        };
        let (Some(target), Some(vfs), Some(fstype), Some(source)) = (
            fields.get(4),
            fields.get(5),
            fields.get(dash + 1),
            fields.get(dash + 2),
        ) else {
            continue;
        };
        count += 1;
        if print {
            for (i, f) in [target, source, fstype, vfs].into_iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(f);
            }
            out.push(b'\n');
        }
    }
    if !print {
        writeln!(out, "{count}").unwrap();
    }
    std::io::stdout().write_all(&out).unwrap();
}
