//! TLS-reporting accounting for one session — RFC 8460 §4 (report fields), §4.3
//! (result types), §4.4 (failure details).
//!
//! SKELETON: filled in by the TLS-reporting work (issue 4).
