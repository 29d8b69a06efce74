use super::*;

#[test]
fn the_generator_is_deterministic_and_its_filters_parse() {
    let mut unparsed = Vec::new();
    for seed in 0..300 {
        let a = Case::random(&mut Rng::new(seed));
        let b = Case::random(&mut Rng::new(seed));
        assert_eq!(a.regression(&a.queries[0]), b.regression(&b.queries[0]));
        for q in &a.queries {
            if let Some(f) = &q.filter {
                let f = f
                    .replace("{u", "x")
                    .replace("{U", "X")
                    .replace("{g", "y")
                    .replace("{G", "Y");
                if f.parse::<crate::filter::Filter>().is_err() {
                    unparsed.push(f);
                }
            }
        }
    }
    assert!(unparsed.is_empty(), "{unparsed:#?}");
}

#[test]
fn a_printed_regression_parses_back_to_the_same_case() {
    let case = Case::random(&mut Rng::new(7));
    for q in &case.queries {
        let text = case.regression(q);
        let back = Case::parse(&text).unwrap();
        assert_eq!(back.regression(&back.queries[0]), text);
    }
    for text in REGRESSIONS {
        Case::parse(text).unwrap();
    }
}

#[test]
fn numbers_from_the_environment_are_decimal_or_hex() {
    assert_eq!(parse_number("5000"), Some(5000));
    assert_eq!(parse_number(" 0x5c1d_0001 "), Some(0x5c1d_0001));
    assert_eq!(parse_number("1_000"), Some(1000));
    assert_eq!(parse_number("many"), None);
    assert_eq!(env_number("SCIM_DIFFERENTIAL_TEST_UNSET_VARIABLE"), None);
}
