//! End-to-end tests of the emulated org (all but the SOAP Metadata API): each starts an
//! emulator in-process on 127.0.0.1:0 with a temporary state directory and talks HTTP to it.

mod apexrest;
mod common;
mod controls;
mod deploy_then_oauth;
mod eca;
mod oauth_flow;
mod oauth_policies;
mod persistence;
mod rest;
