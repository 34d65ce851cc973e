//! The native module `mntns._mntns` behind the pure-Python package `mntns`. It only
//! converts types and errors; all behaviour lives in the `mntns` core crate.

use pyo3::prelude::*;

/// The native part of the `mntns` package.
#[pymodule]
fn _mntns(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
