//! The native module `mntns._mntns` behind the pure-Python package `mntns`. It only
//! converts arguments, results and errors; all behaviour lives in the `mntns` core crate.
//!
//! - `convert`: paths (`str`, `bytes`, `os.PathLike`), integers, descriptors, flags.
//! - `error`: core errors as `OSError` (syscall failures) or `ValueError` (bad input).
//! - `ns`, `mount`, `table`: one Python function per core function, each releasing
//!   the GIL around the core call (`py.detach`), however short.
//!
//! - `sandbox`, `child`: `Sandbox` (core's `Spec`), `TmpfsRoot`, and `Child`, a spawned
//!   sandbox with the `subprocess.Popen` interface; spawning and waiting release the GIL,
//!   and waiting wakes up every 50 ms to run Python's signal handlers (Ctrl-C).

use pyo3::prelude::*;

mod child;
mod convert;
mod error;
mod mount;
mod ns;
mod sandbox;
mod table;

/// The native part of the `mntns` package.
#[pymodule]
fn _mntns(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    ns::register(m)?;
    mount::register(m)?;
    table::register(m)?;
    sandbox::register(m)?;
    Ok(())
}
