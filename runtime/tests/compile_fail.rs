//! The derives refuse the mistakes a plugin author makes at compile time, each with a
//! message on the offending attribute that names the problem and the fix. The expected
//! messages are the `.stderr` files beside each case in `tests/compile-fail/`; refresh
//! them with `TRYBUILD=overwrite cargo test -p devlake --test compile_fail` after a
//! deliberate change, and read the diff.

#[test]
fn derive_mistakes_fail_to_compile_with_a_pointed_message() {
    trybuild::TestCases::new().compile_fail("tests/compile-fail/*.rs");
}
