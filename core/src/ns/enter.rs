//! placeholder
/// placeholder
pub enum NsSource {}
/// placeholder
pub fn enter() {}
