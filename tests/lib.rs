//! End-to-end test support for the Insights+ provisioning workspace.
