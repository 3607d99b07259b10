//! Checks of a plugin as DevLake would load it: the rule tables DevLake's loader and
//! pydevlake apply (`rules`, crate-private), and the conformance run built on them ([`conformance`]:
//! static checks, launchers, migrations on fresh databases) that `standalone conformance`
//! and `cargo devlake test` report. The testing kit's
//! [`assert_valid_plugin`](crate::testing::assert_valid_plugin) runs the static ones.

pub mod conformance;
pub(crate) mod rules;
