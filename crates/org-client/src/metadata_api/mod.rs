//! Metadata API calls: deploy and its status, retrieve, readMetadata and listMetadata.

pub mod deploy;
pub mod poll;
pub mod read;
pub mod retrieve;
pub mod unzip;
