//! The testing kit: what pydevlake's `pydevlake.testing` offers, in Rust, plus fresh
//! databases for tests.

pub mod db;

pub use db::{Backend, TestDatabase};
