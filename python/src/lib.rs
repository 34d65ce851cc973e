//! The native module `mntns._mntns` behind the pure-Python package `mntns`. It only
//! converts arguments, results and errors; all behaviour lives in the `mntns` core crate.
//!
//! - `convert`: paths (`str`, `bytes`, `os.PathLike`), integers, descriptors, flags.
//! - `error`: core errors as `OSError` (syscall failures) or `ValueError` (bad input).
//! - `ns`, `mount`, `table`: one Python function per core function, each releasing
//!   the GIL around the core call (`py.detach`), however short.
//!
//! The sandbox (`Sandbox`, `Child`, `spawn`, `run`) will be a fourth module registered the
//! same way, reusing `mount::tmpfs_options` for its tmpfs mounts.

use pyo3::prelude::*;

mod convert;
mod error;
mod mount;
mod ns;
mod table;

/// The native part of the `mntns` package.
#[pymodule]
fn _mntns(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    ns::register(m)?;
    mount::register(m)?;
    table::register(m)?;
    Ok(())
}
