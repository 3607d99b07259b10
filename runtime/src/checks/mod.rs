//! Checks of a plugin as DevLake would load it: the rule tables DevLake's loader and
//! pydevlake apply (`rules`, crate-private), and the conformance run built on them ([`conformance`]:
//! static checks, launchers, migrations on fresh databases) that `standalone conformance`
//! and `cargo devlake test` report. The testing kit's
//! [`assert_valid_plugin`](crate::testing::assert_valid_plugin) runs the static ones.

// The testing kit's items exist with the `testing` feature only (docs.rs documents all
// features); without it, links to them have nothing to point at.
#![cfg_attr(not(feature = "testing"), allow(rustdoc::broken_intra_doc_links))]

pub mod conformance;
pub(crate) mod rules;
