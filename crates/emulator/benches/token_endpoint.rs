//! Token endpoint benchmark (filled in below).
fn main() {}
