//! The Build Scan server behind `cargo devlake scan serve`: it implements the publishing
//! contract of `docs/build-scans.md` (publish, short-lived tokens, search) with access keys
//! stored hashed, scans stored through sqlx in SQLite or PostgreSQL, and a server-rendered
//! web UI whose scan page is [`devlake_scan::report::render_html`].
