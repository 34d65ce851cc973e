//! Printing rows of [`Value`]s the way util-linux's tools print them: aligned columns with a
//! heading (numbers right-aligned), or JSON (`-J`) with the same layout as `lsns -J` and
//! `findmnt -J`. The whole output is built in memory and written with one call.

use std::io::Write;

use mntns::columns::Value;

/// One column: heading, JSON key, and whether its values are numbers.
pub struct Column {
    pub name: &'static str,
    pub key: &'static str,
    pub number: bool,
}

/// Rows of values, one per column.
pub struct Table<'a> {
    columns: Vec<Column>,
    cells: Vec<Value<'a>>,
}

impl<'a> Table<'a> {
    pub fn new(columns: Vec<Column>) -> Table<'a> {
        Table {
            columns,
            cells: Vec::new(),
        }
    }

    /// Adds a row; `values` yields one value per column.
    pub fn push(&mut self, values: impl IntoIterator<Item = Value<'a>>) {
        let before = self.cells.len();
        self.cells.extend(values);
        debug_assert_eq!(self.cells.len() - before, self.columns.len());
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn rows(&self) -> impl Iterator<Item = &[Value<'a>]> {
        self.cells.chunks(self.columns.len().max(1))
    }

    /// Aligned columns, a space apart, the last one not padded.
    pub fn render_text(&self, headings: bool, out: &mut Vec<u8>) {
        let n = self.columns.len();
        // Each cell rendered once into one buffer; (start, end, width) per cell.
        let mut text = Vec::with_capacity(self.cells.len() * 16);
        let mut spans = Vec::with_capacity(self.cells.len());
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|c| if headings { c.name.len() } else { 0 })
            .collect();
        for (i, cell) in self.cells.iter().enumerate() {
            let start = text.len();
            write_text_cell(cell, &mut text);
            let width = display_width(&text[start..]);
            widths[i % n] = widths[i % n].max(width);
            spans.push((start, text.len(), width));
        }
        let pad = |out: &mut Vec<u8>, k: usize| out.resize(out.len() + k, b' ');
        let emit = |out: &mut Vec<u8>, col: usize, bytes: &[u8], width: usize| {
            let c = &self.columns[col];
            let last = col + 1 == n;
            if c.number {
                pad(out, widths[col] - width);
                out.extend_from_slice(bytes);
            } else {
                out.extend_from_slice(bytes);
                if !last {
                    pad(out, widths[col] - width);
                }
            }
            out.push(if last { b'\n' } else { b' ' });
        };
        if headings {
            for (col, c) in self.columns.iter().enumerate() {
                emit(out, col, c.name.as_bytes(), c.name.len());
            }
        }
        for (i, &(start, end, width)) in spans.iter().enumerate() {
            emit(out, i % n, &text[start..end], width);
        }
    }

    /// `{"KEY": [{...}, ...]}` with util-linux's layout (three-space indents, `},{`).
    pub fn render_json(&self, key: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\n   \"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\": [");
        for (r, row) in self.rows().enumerate() {
            if self.cells.is_empty() {
                break;
            }
            out.extend_from_slice(if r == 0 { b"\n      {" } else { b",{" });
            for (i, (cell, col)) in row.iter().zip(&self.columns).enumerate() {
                out.extend_from_slice(b"\n         \"");
                out.extend_from_slice(col.key.as_bytes());
                out.extend_from_slice(b"\": ");
                write_json_value(cell, out);
                if i + 1 < row.len() {
                    out.push(b',');
                }
            }
            out.extend_from_slice(b"\n      }");
        }
        out.extend_from_slice(b"\n   ]\n}\n");
    }
}

/// Writes `out` to stdout in one go. A closed pipe ends the process quietly, as for the
/// util-linux tools (SIGPIPE is at its default in `main`).
pub fn write_stdout(out: &[u8]) -> Result<(), mntns::Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out)
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            mntns::Error::new("write", mntns::Errno::from(&e)).with_path("standard output")
        })
}

/// A cell as a table shows it: text with control characters escaped (`\x0a`) so one row
/// stays one line, lists joined with commas, nothing for null.
fn write_text_cell(v: &Value<'_>, out: &mut Vec<u8>) {
    let text = |bytes: &[u8], out: &mut Vec<u8>| {
        if !bytes.iter().any(|&b| is_control(b)) {
            out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            if is_control(b) {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            } else {
                out.push(b);
            }
        }
    };
    match v {
        Value::Null => {}
        Value::Number(n) => push_number(*n, out),
        Value::Text(t) => text(t, out),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                text(item, out);
            }
        }
    }
}

/// Decimal digits of `n`, without a temporary string.
fn push_number(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

/// Columns a text takes on a terminal: characters for UTF-8, bytes otherwise.
fn display_width(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.chars().count(),
        Err(_) => bytes.len(),
    }
}

/// A JSON value; strings escaped as JSON requires. Bytes that are not UTF-8 are written
/// as they are, as findmnt does, so that a path reads back byte for byte.
fn write_json_value(v: &Value<'_>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Number(n) => push_number(*n, out),
        Value::Text(t) => write_json_string(t, out),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_json_string(item, out);
            }
            out.push(b']');
        }
    }
}

fn write_json_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn table() -> Table<'static> {
        let mut t = Table::new(vec![
            Column {
                name: "NS",
                key: "ns",
                number: true,
            },
            Column {
                name: "TYPE",
                key: "type",
                number: false,
            },
            Column {
                name: "COMMAND",
                key: "command",
                number: false,
            },
        ]);
        t.push([
            Value::Number(4026531832),
            Value::Text(Cow::Borrowed(b"mnt")),
            Value::Text(Cow::Borrowed(b"a \"b\"\n")),
        ]);
        t.push([Value::Number(7), Value::Null, Value::Null]);
        t
    }

    #[test]
    fn text_is_aligned_like_util_linux() {
        let mut out = Vec::new();
        table().render_text(true, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "        NS TYPE COMMAND\n\
             4026531832 mnt  a \"b\"\\x0a\n         \
             7      \n"
        );
        let mut out = Vec::new();
        table().render_text(false, &mut out);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .starts_with("4026531832 mnt ")
        );
    }

    #[test]
    fn numbers_print_in_decimal() {
        for n in [0, 7, 10, 4026531832, u64::MAX] {
            let mut out = Vec::new();
            push_number(n, &mut out);
            assert_eq!(out, n.to_string().into_bytes());
        }
    }

    #[test]
    fn json_has_lsns_layout() {
        let mut out = Vec::new();
        table().render_json("namespaces", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n   \"namespaces\": [\n      {\n         \"ns\": 4026531832,\n         \
             \"type\": \"mnt\",\n         \"command\": \"a \\\"b\\\"\\n\"\n      },{\n         \
             \"ns\": 7,\n         \"type\": null,\n         \"command\": null\n      }\n   ]\n}\n"
        );
        let mut out = Vec::new();
        Table::new(vec![]).render_json("filesystems", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n   \"filesystems\": [\n   ]\n}\n"
        );
    }
}
