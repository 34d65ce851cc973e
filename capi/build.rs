//! Sets the soname of libmntns.so and, with the `header` feature, regenerates the C header
//! into `$OUT_DIR/mntns.h` with the pinned cbindgen (the test command diffs it against the
//! committed `include/mntns.h`).

fn main() {
    // The library is libmntns.so.0 to the dynamic linker, whatever file name it has.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmntns.so.0");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    #[cfg(feature = "header")]
    generate_header();
}

#[cfg(feature = "header")]
fn generate_header() {
    let crate_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("mntns.h");
    let config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("read cbindgen.toml");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("generate mntns.h")
        .write_to_file(&out);
    println!("cargo:warning=header written to {}", out.display());
}
