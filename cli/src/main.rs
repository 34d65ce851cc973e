//! The `mntns` command. It only parses arguments and prints; all behaviour lives in the
//! `mntns` core crate.
//!
//! One module per command; each has an `Args` (its clap arguments) and a `run` that
//! returns the exit status or a core [`mntns::Error`], which `main` prints as one line,
//! `mntns: STEP PATH: ENAME (description; hint)`, with exit status 1. Usage errors exit
//! with 2, as clap makes them. The process stays single-threaded (joining a user or mount
//! namespace needs that), apart from the threads `mntns ls` joins before printing.
//!
//! There is no Rust `main`: the C library calls [`main`] below directly (see there why).

#![cfg_attr(not(test), no_main)]

mod doctor;
mod enter;
mod id;
mod ls;
mod mounts;
mod output;
mod run;

use std::ffi::OsString;

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

/// The process's entry point, called by the C library's start-up code.
///
/// `mntns run` starts once per sandbox, so its start-up is part of what every sandbox
/// costs. The Rust runtime's own start-up (`std::rt::lang_start`) is skipped: on Linux it
/// reads `/proc/self/maps` to find the main thread's stack and installs an alternate
/// signal stack and SIGSEGV/SIGBUS handlers to report stack overflows — about fifteen
/// system calls and 80,000 instructions, measured at 3–8 % of a whole `mntns run --bare`.
/// What of it the command relies on is done here: descriptors 0, 1 and 2 open (on
/// `/dev/null` when closed, so that no descriptor the command opens takes their place),
/// SIGPIPE ignored, a panic reported and turned into exit status 101, and standard output
/// flushed at exit (`std::process::exit` does). A stack overflow ends the process with a
/// plain SIGSEGV instead of the runtime's message.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    open_standard_fds();
    // SAFETY: setting a signal disposition before any other thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // `args_os` works without the runtime: glibc hands argv to the standard library's
    // initialiser in `.init_array`.
    let code = std::panic::catch_unwind(mntns_main).unwrap_or(101);
    std::process::exit(i32::from(code))
}

/// Opens `/dev/null` on any of descriptors 0, 1 and 2 that is closed, as the Rust runtime
/// does at start-up.
#[cfg(not(test))]
fn open_standard_fds() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: `fds` is a valid array of three pollfd structures.
    if unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) } < 0 {
        return; // not expected; the descriptors are then left as they are
    }
    for pfd in fds.iter().filter(|p| p.revents & libc::POLLNVAL != 0) {
        // SAFETY: opening a path given as a NUL-terminated literal. The lowest free
        // descriptor is the closed one, `pfd.fd`; one that cannot be opened is left closed.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) };
        debug_assert!(fd < 0 || fd == pfd.fd);
    }
}

/// The command: parses the arguments, runs the chosen command, returns the exit status.
/// (Unit tests have the test harness's `main` instead, which does not call it.)
#[cfg_attr(test, allow(dead_code))]
fn mntns_main() -> u8 {
    let args: Vec<OsString> = std::env::args_os().collect();
    // `mntns run` starts once per sandbox: the command lines people write skip clap (see
    // `run::quick`); anything else is parsed below, with the whole tree.
    if args.get(1).is_some_and(|a| a == "run") {
        if let Some((parsed, order)) = run::quick::parse(&args[2..]) {
            std::process::exit(run::main(parsed, &order));
        }
    }
    // `mntns run` needs the matches too: its mount options apply in command-line order.
    let matches = Cli::command().get_matches_from(args);
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
            std::process::exit(run::main(*args, &run::Order::from_matches(sub)));
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
            1
        }
    }
}

fn completions(shell: clap_complete::Shell) -> Result<u8, mntns::Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "mntns", &mut out);
    output::write_stdout(&out)?;
    Ok(0)
}

fn man(command: Option<&str>) -> Result<u8, mntns::Error> {
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
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_consistent() {
        Cli::command().debug_assert();
    }
}
