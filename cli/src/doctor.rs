//! `mntns doctor`: what this host allows for sandboxes, and what to change.

use std::borrow::Cow;

use mntns::Error;
use mntns::columns::Value;
use mntns::doctor::probes;

use crate::output::{Column, Table};

pub const EXAMPLES: &str = "Examples:\n  \
    mntns doctor                  # one line per probe: status, what, what was seen\n  \
    mntns doctor -J | jq '.probes[] | select(.status != \"ok\")'\n\
    \nStatus: ok (available and allowed), missing (the kernel lacks it, or a filter answers \
    ENOSYS), refused (a setting, filter or mount refuses it); each probe not ok says what \
    to change. The exit status is 0 whenever the probes ran.";

#[derive(clap::Args)]
pub struct Args {
    /// JSON output: {"probes": [{"name", "status", "detail", "remedy"}]}.
    #[arg(short = 'J', long)]
    json: bool,
}

pub fn run(args: Args) -> Result<u8, Error> {
    let probes = probes()?;
    let mut out = Vec::with_capacity(4096);
    if args.json {
        let text = |s: &str| Value::Text(Cow::Owned(s.as_bytes().to_vec()));
        let mut table = Table::new(
            [
                ("name", false),
                ("status", false),
                ("detail", false),
                ("remedy", false),
            ]
            .into_iter()
            .map(|(key, number)| Column {
                name: key,
                key,
                number,
            })
            .collect(),
        );
        for p in &probes {
            table.push([
                text(p.name),
                text(p.status.name()),
                text(&p.detail),
                p.remedy.as_deref().map_or(Value::Null, text),
            ]);
        }
        table.render_json("probes", &mut out);
    } else {
        let width = probes.iter().map(|p| p.name.len()).max().unwrap_or(0);
        for p in &probes {
            out.extend_from_slice(
                format!("{:<8} {:<width$}  {}\n", p.status.name(), p.name, p.detail).as_bytes(),
            );
            if let Some(remedy) = &p.remedy {
                out.extend_from_slice(
                    format!("{:<8} {:<width$}  fix: {remedy}\n", "", "").as_bytes(),
                );
            }
        }
    }
    crate::output::write_stdout(&out)?;
    Ok(0)
}
