//! Counts the work of parsing one benchmark filter many times, for
//! instruction-level profiles that do not depend on the machine's load:
//! `valgrind --tool=callgrind target/release/examples/profile_parse short`
//! (or `rfc`, `chain`).

#![allow(clippy::unwrap_used)]

use std::hint::black_box;

fn main() {
    let chain = (0..1024)
        .map(|i| format!(r#"userName eq "user{i}@example.com""#))
        .collect::<Vec<_>>()
        .join(" or ");
    let (filter, times) = match std::env::args().nth(1).as_deref() {
        Some("short") => (r#"userName eq "bjensen@example.com""#.to_owned(), 10_000),
        Some("rfc") => (
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#
                .to_owned(),
            2_000,
        ),
        _ => (chain, 20),
    };
    for _ in 0..times {
        black_box(scim2_filter::parse(black_box(&filter)).unwrap());
    }
}
