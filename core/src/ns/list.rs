//! placeholder
/// placeholder
pub struct NamespaceInfo;
/// placeholder
pub enum Pin {}
/// placeholder
pub fn namespaces() {}
