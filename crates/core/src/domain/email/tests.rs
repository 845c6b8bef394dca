use super::*;

fn parsed(raw: &str) -> String {
    Email::parse(raw)
        .unwrap_or_else(|e| panic!("{raw:?}: {e}"))
        .as_str()
        .to_string()
}

fn refusal(raw: &str) -> String {
    match Email::parse(raw) {
        Ok(email) => panic!("{raw:?} was accepted as {email}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn email_is_trimmed_and_lower_cased() {
    assert_eq!(parsed("  Alice@Example.COM "), "alice@example.com");
}

#[test]
fn malformed_emails_are_rejected() {
    for raw in [
        "",
        "   ",
        "alice",
        "alice@",
        "@example.com",
        "a b@example.com",
        "Alice <a@b.c>",
    ] {
        assert!(Email::parse(raw).is_err(), "{raw:?} should be rejected");
    }
    let long = format!("{}@example.com", "a".repeat(250));
    assert!(Email::parse(&long).is_err());
    let huge = "a".repeat(1_000_000);
    assert!(Email::parse(&huge).is_err());
}

#[test]
fn fullwidth_letters_fold_to_ascii() {
    assert_eq!(parsed("ａｄｍｉｎ@example.com"), "admin@example.com");
    assert_eq!(parsed("ＡＤＭＩＮ@ｅｘａｍｐｌｅ.com"), "admin@example.com");
}

#[test]
fn compatibility_forms_fold_before_lower_casing() {
    // KELVIN SIGN folds to K, then to k.
    assert_eq!(parsed("\u{212A}elly@example.com"), "kelly@example.com");
}

#[test]
fn precomposed_and_decomposed_forms_are_one_address() {
    let nfc = parsed("caf\u{e9}@example.com");
    let nfd = parsed("cafe\u{301}@example.com");
    assert_eq!(nfc, nfd);
    assert_eq!(nfc, "caf\u{e9}@example.com");
    assert_eq!(parsed("CAFE\u{301}@example.com"), nfc);
}

#[test]
fn invisible_and_formatting_characters_are_refused() {
    for invisible in [
        '\u{200B}', // zero-width space
        '\u{200C}', // zero-width non-joiner
        '\u{200D}', // zero-width joiner
        '\u{00AD}', // soft hyphen
        '\u{2060}', // word joiner
        '\u{FEFF}', // byte order mark
        '\u{202E}', // right-to-left override
        '\u{2066}', // left-to-right isolate
        '\u{200F}', // right-to-left mark
        '\u{FE0F}', // variation selector
        '\u{180E}', // Mongolian vowel separator
    ] {
        let message = refusal(&format!("admin{invisible}@example.com"));
        assert!(message.contains("invisible"), "{invisible:?}: {message}");
        let in_domain = refusal(&format!("admin@exa{invisible}mple.com"));
        assert!(
            in_domain.contains("invisible"),
            "{invisible:?}: {in_domain}"
        );
    }
}

#[test]
fn mixed_script_local_parts_are_refused() {
    // Cyrillic а (U+0430) among Latin letters.
    let message = refusal("\u{430}dmin@example.com");
    assert!(message.contains("scripts"), "{message}");
    // Greek ο among Latin letters.
    assert!(refusal("j\u{3bf}hn@example.com").contains("scripts"));
}

#[test]
fn single_script_non_latin_local_parts_are_accepted() {
    assert_eq!(parsed("пётр@example.com"), "пётр@example.com");
    assert_eq!(parsed("ΝΙΚΟΣ@example.com"), "νικος@example.com");
    // Han with kana is one (Japanese) script; digits and punctuation go with any script.
    assert_eq!(parsed("山田たろう.2@example.jp"), "山田たろう.2@example.jp");
    assert_eq!(parsed("ü.o+tag@例え.jp"), "ü.o+tag@例え.jp");
}

#[test]
fn internationalised_domains_are_normalised_too() {
    assert_eq!(parsed("admin@ＥＸＡＭＰＬＥ.com"), "admin@example.com");
    assert_eq!(parsed("a@BÜCHER.de"), "a@bücher.de");
    assert_eq!(parsed("a@bu\u{308}cher.de"), "a@bücher.de");
}

#[test]
fn dotless_i_is_latin_so_it_passes_the_script_rules_but_is_confusable() {
    // U+0131 is a Latin letter (Turkish): `admın` is single-script and a legitimate address,
    // but it looks like `admin`, which the skeleton comparison catches.
    let dotless = Email::parse("adm\u{131}n@example.com").unwrap();
    let plain = Email::parse("admin@example.com").unwrap();
    assert!(dotless.is_confusable_with(&plain));
    assert!(plain.is_confusable_with(&dotless));
}

#[test]
fn whole_script_look_alikes_are_confusable() {
    // All Cyrillic: а (U+0430), і (U+0456), о (U+043E), р (U+0440), е (U+0435).
    let cyrillic = Email::parse("\u{440}\u{435}\u{440}\u{435}@example.com").unwrap();
    let latin = Email::parse("pepe@example.com").unwrap();
    assert!(cyrillic.is_confusable_with(&latin));
}

#[test]
fn dotted_capital_i_normalises_and_is_confusable_with_i() {
    let dotted = Email::parse("ADM\u{130}N@example.com").unwrap();
    assert_eq!(dotted.as_str(), "admi\u{307}n@example.com");
    assert!(dotted.is_confusable_with(&Email::parse("admin@example.com").unwrap()));
}

#[test]
fn plain_ascii_addresses_are_never_confusable_with_each_other() {
    let a = Email::parse("modern@example.com").unwrap();
    let b = Email::parse("rnodern@example.com").unwrap();
    assert!(!a.is_confusable_with(&b));
    assert!(
        !a.is_confusable_with(&a.clone()),
        "an address is not its own look-alike"
    );
}

#[test]
fn unrelated_unicode_addresses_are_not_confusable() {
    let a = Email::parse("caf\u{e9}@example.com").unwrap();
    let b = Email::parse("cafe@example.com").unwrap();
    assert!(
        !a.is_confusable_with(&b),
        "an accent is a different letter, not a look-alike"
    );
}

#[test]
fn stored_addresses_are_kept_as_they_were() {
    let legacy = Email::from_stored("admin\u{200B}@example.com".into());
    assert_eq!(legacy.as_str(), "admin\u{200B}@example.com");
}
