//! The `mntns` command. It only parses arguments and prints; all behaviour lives in the
//! `mntns` core crate.
//!
//! One module per command; each has an `Args` (its clap arguments) and a `run` that
//! returns the exit status or a core [`mntns::Error`], which `main` prints as one line,
//! `mntns: STEP PATH: ENAME (description; hint)`, with exit status 1. Usage errors exit
//! with 2, as clap makes them. The process stays single-threaded (joining a user or mount
//! namespace needs that), apart from the threads `mntns ls` joins before printing.

mod doctor;
mod enter;
mod id;
mod ls;
mod mounts;
mod output;
mod run;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Linux mount-namespace isolation from the command line: namespace ids, listings, mount
/// tables, entering namespaces, and what the host allows.
#[derive(Parser)]
#[command(
    name = "mntns",
    version,
    about,
    after_help = "Examples:\n  mntns run -- sh               # a shell in a sandbox with its own root\n  \
                  mntns id                      # mnt:[4026531841], as readlink /proc/self/ns/mnt\n  \
                  mntns ls -t mnt               # every mount namespace, like lsns -t mnt\n  \
                  mntns mounts -p 1234          # the mount table of process 1234, like findmnt -N 1234\n  \
                  mntns enter -t 1234 --all     # a shell in its namespaces, like nsenter -a -t 1234\n  \
                  mntns doctor                  # what this host allows, and what to change"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Run(Box<run::RunArgs>),
    /// Print a namespace's id exactly as readlink /proc/PID/ns/KIND shows it.
    #[command(after_help = id::EXAMPLES)]
    Id(id::Args),
    /// List namespaces with their processes, like lsns.
    #[command(after_help = ls::EXAMPLES, after_long_help = ls::long_help())]
    Ls(ls::Args),
    /// Show the mount table of this or another process or namespace, like findmnt.
    #[command(after_help = mounts::EXAMPLES, after_long_help = mounts::long_help())]
    Mounts(mounts::Args),
    /// Run a command in the namespaces of another process, like nsenter.
    #[command(after_help = enter::EXAMPLES)]
    Enter(enter::Args),
    /// Say what this host allows for sandboxes, and what to change when it does not.
    #[command(after_help = doctor::EXAMPLES)]
    Doctor(doctor::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Examples:\n  mntns completions bash > /etc/bash_completion.d/mntns\n  \
                            mntns completions zsh > \"${fpath[1]}/_mntns\"\n  \
                            mntns completions fish > ~/.config/fish/completions/mntns.fish"
    )]
    Completions {
        /// The shell to write the script for.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), of mntns or of one of its commands.
    #[command(after_help = "Examples:\n  mntns man | man -l -\n  mntns man ls > mntns-ls.1")]
    Man {
        /// The command whose page to print (default: the mntns page).
        command: Option<String>,
    },
}

fn main() -> ExitCode {
    // `mntns run` needs the matches too: its mount options apply in command-line order.
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if !matches!(cli.command, Command::Run(_)) {
        // `mntns ls | head` ends quietly when head exits, as util-linux tools do (Rust
        // ignores SIGPIPE by default), and a command `mntns enter` runs starts with it at
        // its default.
        // SAFETY: restoring a default signal disposition; no other thread exists yet.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let result = match cli.command {
        Command::Run(args) => {
            let sub = matches.subcommand_matches("run").expect("run was matched");
            std::process::exit(run::main(*args, sub));
        }
        Command::Id(args) => id::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Mounts(args) => mounts::run(args),
        Command::Enter(args) => return enter::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Completions { shell } => completions(shell),
        Command::Man { command } => man(command.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mntns: {e}");
            ExitCode::from(1)
        }
    }
}

fn completions(shell: clap_complete::Shell) -> Result<ExitCode, mntns::Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mntns", &mut out);
    output::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn man(command: Option<&str>) -> Result<ExitCode, mntns::Error> {
    let mut cmd = Cli::command();
    cmd.build();
    let page = match command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            Some(sub) => {
                let sub = sub.clone();
                let full = format!("mntns-{}", sub.get_name());
                sub.name(full)
            }
            None => {
                return Err(mntns::Error::invalid(
                    "man",
                    format!("no command {name:?}; see mntns --help"),
                ));
            }
        },
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut out)
        .map_err(|e| mntns::Error::new("render man page", mntns::Errno::from(&e)))?;
    output::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_consistent() {
        Cli::command().debug_assert();
    }
}
