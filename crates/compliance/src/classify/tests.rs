//! What clients write, and what Casewire makes of it.

use proptest::prelude::*;

use super::*;

fn classifier() -> Classifier {
    Classifier::new(Keywords::default())
}

fn keyword(k: &str) -> Keyword {
    Keyword::parse(k).unwrap()
}

fn by_keyword(k: &str) -> Classification {
    Classification::OptOut {
        detection: Detection::Keyword(keyword(k)),
    }
}

fn by_rule(rule: &'static str) -> Classification {
    Classification::OptOut {
        detection: Detection::Phrase { rule },
    }
}

fn review(reason: ReviewReason) -> Classification {
    Classification::Review { reason }
}

fn word(word: &'static str) -> Classification {
    review(ReviewReason::OptOutWord { word })
}

fn check(cases: &[(&str, Classification)]) {
    let c = classifier();
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = c.classify(text);
        if &got != want {
            failures.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn keywords_alone_opt_out_whatever_the_case_punctuation_or_emoji() {
    check(&[
        ("STOP", by_keyword("STOP")),
        ("Stop.", by_keyword("STOP")),
        (" stop!!", by_keyword("STOP")),
        ("STOP 🙏", by_keyword("STOP")),
        ("\"stop\"", by_keyword("STOP")),
        ("stop\u{2019}", by_keyword("STOP")),
        ("Stopall", by_keyword("STOPALL")),
        ("stop all", by_keyword("STOPALL")),
        ("unsubscribe", by_keyword("UNSUBSCRIBE")),
        ("Cancel", by_keyword("CANCEL")),
        ("end", by_keyword("END")),
        ("QUIT", by_keyword("QUIT")),
        ("revoke", by_keyword("REVOKE")),
        ("optout", by_keyword("OPTOUT")),
        ("opt out", by_keyword("OPTOUT")),
        ("Opt-Out", by_keyword("OPTOUT")),
        ("OPT  OUT.", by_keyword("OPTOUT")),
    ]);
}

#[test]
fn a_polite_stop_is_still_a_stop() {
    check(&[
        ("stop please", by_keyword("STOP")),
        ("please STOP", by_keyword("STOP")),
        ("Please stop!", by_keyword("STOP")),
        ("stop it", by_keyword("STOP")),
        ("STOP NOW", by_keyword("STOP")),
        ("stop all texts", by_keyword("STOPALL")),
        ("stop texting", by_keyword("STOP")),
        ("stop the texts please", by_rule("stop_the_texts")),
        ("Stop. Thank you", by_keyword("STOP")),
        ("STOP STOP STOP", by_keyword("STOP")),
        ("just stop", by_keyword("STOP")),
        ("ok stop", by_keyword("STOP")),
        ("quit it", by_keyword("QUIT")),
        ("cancel texts", by_keyword("CANCEL")),
        ("end all messages", by_keyword("END")),
        ("unsubscribe please", by_keyword("UNSUBSCRIBE")),
        ("please opt-out", by_keyword("OPTOUT")),
        ("Stop immediately!!!", by_keyword("STOP")),
    ]);
}

#[test]
fn clear_revocations_in_words_opt_out() {
    check(&[
        ("please stop texting me", by_rule("stop_texting")),
        ("Stop sending me messages", by_rule("stop_texting")),
        ("stop messaging me", by_rule("stop_texting")),
        ("STOP TEXTING ME!!!", by_rule("stop_texting")),
        ("can you please stop texting me?", by_rule("stop_texting")),
        ("I want you to stop texting me", by_rule("stop_texting")),
        ("why won't you stop texting me", by_rule("stop_texting")),
        ("quit texting me", by_rule("stop_texting")),
        ("stop harassing me", by_rule("stop_texting")),
        ("stop sending these", by_rule("stop_texting")),
        ("no more texts", by_rule("no_more_texts")),
        ("No more text messages please", by_rule("no_more_texts")),
        ("no more messages from you guys", by_rule("no_more_texts")),
        ("enough of these texts", by_rule("no_more_texts")),
        ("No text messages please", by_rule("no_texts")),
        ("no texts anymore", by_rule("no_texts")),
        ("take me off", by_rule("remove_me")),
        ("cancel my subscription", by_rule("stop_the_texts")),
        ("stop all communications", by_rule("stop_the_texts")),
        ("unsubscribe me", by_rule("unsubscribe_me")),
        (
            "please unsubscribe me from this list",
            by_rule("unsubscribe_me"),
        ),
        ("I unsubscribe", by_rule("unsubscribe_me")),
        ("don't text me anymore", by_rule("do_not_text")),
        ("Don\u{2019}t text me anymore", by_rule("do_not_text")),
        ("do not contact me by text", by_rule("do_not_text")),
        ("Do not text this number", by_rule("do_not_text")),
        ("never text me again", by_rule("do_not_text")),
        ("dont send me texts", by_rule("do_not_text")),
        ("remove me from this list", by_rule("remove_me")),
        ("take me off your list", by_rule("remove_me")),
        ("Take me off the text list please", by_rule("remove_me")),
        ("remove me", by_rule("remove_me")),
        ("delete my number", by_rule("remove_me")),
        ("lose my number", by_rule("remove_me")),
        ("opt me out", by_rule("opt_me_out")),
        ("I want to opt out", by_rule("opt_me_out")),
        ("I'd like to opt out of these texts", by_rule("opt_me_out")),
        ("I opted out", by_rule("opt_me_out")),
        (
            "I no longer want to receive these texts",
            by_rule("no_longer_want"),
        ),
        (
            "I don't want these texts anymore",
            by_rule("no_longer_want"),
        ),
        ("i dont want any more messages", by_rule("no_longer_want")),
        ("I do not wish to be contacted", by_rule("no_longer_want")),
        (
            "I revoke my consent to receive text messages",
            by_rule("revoke_consent"),
        ),
        ("I withdraw my consent", by_rule("revoke_consent")),
        ("cancel these reminders", by_rule("stop_the_texts")),
        ("turn off notifications", by_rule("stop_the_texts")),
        ("end the texts", by_rule("stop_the_texts")),
        ("can you stop", by_rule("request_to_stop")),
        ("I said stop", by_rule("request_to_stop")),
        ("I told you to stop", by_rule("request_to_stop")),
    ]);
}

#[test]
fn a_revocation_among_other_sentences_still_opts_out() {
    check(&[
        (
            "Please stop texting me, I already paid.",
            by_rule("stop_texting"),
        ),
        (
            "Thanks for everything. Stop texting me.",
            by_rule("stop_texting"),
        ),
        ("No, stop texting me", by_rule("stop_texting")),
        ("Wrong number, stop texting me", by_rule("stop_texting")),
        ("I'm tired of this, stop.", by_rule("keyword_sentence")),
        ("Yes I got it. STOP", by_rule("keyword_sentence")),
        ("Sounds good - unsubscribe", by_rule("keyword_sentence")),
        ("I'm done with this\nopt out", by_rule("keyword_sentence")),
    ]);
}

#[test]
fn stop_in_everyday_sentences_is_not_an_opt_out() {
    check(&[
        ("can you stop by the office at 3?", Classification::None),
        ("I'll stop at the bank first", Classification::None),
        ("what is the end date", Classification::None),
        ("can I cancel my hearing?", Classification::None),
        ("I quit my job last week", Classification::None),
        ("please don't stop texting me updates", Classification::None),
        ("I never said stop", Classification::None),
        (
            "Will the bankruptcy stop the garnishment?",
            Classification::None,
        ),
        ("How do I stop the foreclosure", Classification::None),
        (
            "Did they stop the wage garnishment yet",
            Classification::None,
        ),
        ("the calls finally stopped", Classification::None),
        ("I'm at the bus stop", Classification::None),
        ("Stop payment on the check?", Classification::None),
        ("make them stop calling me", Classification::None),
        (
            "will the automatic stay stop creditors from calling",
            Classification::None,
        ),
        ("Is the end of the case near?", Classification::None),
        (
            "The trustee said they could revoke my discharge",
            Classification::None,
        ),
        ("I didn't ask to unsubscribe", Classification::None),
        ("you can stop by anytime", Classification::None),
        ("Don't call me, text me instead", Classification::None),
        ("don't stop", Classification::None),
        (
            "Thanks, I'll be there at 9. See you then",
            Classification::None,
        ),
        ("No text", Classification::None),
        ("No messages yet", Classification::None),
        ("No updates", Classification::None),
        ("No reminders?", Classification::None),
    ]);
}

#[test]
fn unclear_messages_go_to_a_person() {
    let c = classifier();
    check(&[
        ("how do I unsubscribe?", word("unsubscribe")),
        ("how do I opt out", word("opt out")),
        ("stop this harassment", word("stop")),
        ("hi this is maria stop", word("stop")),
        ("no stop start", word("stop")),
        ("you guys won't stop", word("stop")),
        ("stop calling me", word("stop")),
        ("how do I stop these texts", word("stop")),
        ("can I stop the texts?", word("stop")),
        (
            "no more texts?",
            review(ReviewReason::PhraseAsQuestion {
                rule: "no_more_texts",
            }),
        ),
        (
            "why do you keep texting me",
            review(ReviewReason::KeepsTexting),
        ),
        (
            "you guys keep texting me",
            review(ReviewReason::KeepsTexting),
        ),
        (
            "stop texting me about the hearing",
            review(ReviewReason::PhraseWithMore {
                rule: "stop_texting",
            }),
        ),
        (
            "I don't want texts at work",
            review(ReviewReason::PhraseWithMore {
                rule: "no_longer_want",
            }),
        ),
        (
            "remove me from the case",
            review(ReviewReason::PhraseWithMore { rule: "remove_me" }),
        ),
        (
            "I withdraw my consent to the plan",
            review(ReviewReason::PhraseWithMore {
                rule: "revoke_consent",
            }),
        ),
        (
            "cancel it",
            review(ReviewReason::AmbiguousKeyword {
                keyword: keyword("CANCEL"),
            }),
        ),
        (
            "end it",
            review(ReviewReason::AmbiguousKeyword {
                keyword: keyword("END"),
            }),
        ),
        (
            "I can't make Friday. Cancel.",
            review(ReviewReason::AmbiguousKeyword {
                keyword: keyword("CANCEL"),
            }),
        ),
        ("leave me alone", review(ReviewReason::LeaveMeAlone)),
        (
            "Please just leave me alone!",
            review(ReviewReason::LeaveMeAlone),
        ),
        ("wrong number", review(ReviewReason::WrongNumber)),
        (
            "You have the wrong person",
            review(ReviewReason::WrongNumber),
        ),
    ]);
    assert_eq!(
        c.classify("how do I unsubscribe?"),
        review(ReviewReason::OptOutWord {
            word: "unsubscribe"
        })
    );
}

#[test]
fn review_reasons_read_as_sentences_for_staff() {
    assert_eq!(
        ReviewReason::OptOutWord { word: "stop" }.to_string(),
        "contains the opt-out word \"stop\" inside a longer message"
    );
    assert_eq!(
        ReviewReason::AmbiguousKeyword {
            keyword: keyword("CANCEL")
        }
        .to_string(),
        "contains the opt-out keyword \"CANCEL\" with other words that may give it another meaning"
    );
    assert_eq!(ReviewReason::WrongNumber.as_str(), "wrong_number");
}

#[test]
fn opt_in_needs_the_keyword_alone() {
    check(&[
        (
            "START",
            Classification::OptIn {
                keyword: keyword("START"),
            },
        ),
        (
            "yes",
            Classification::OptIn {
                keyword: keyword("YES"),
            },
        ),
        (
            "Unstop!",
            Classification::OptIn {
                keyword: keyword("UNSTOP"),
            },
        ),
        (
            "Yes.",
            Classification::OptIn {
                keyword: keyword("YES"),
            },
        ),
        ("yes I'll be there", Classification::None),
        ("start date?", Classification::None),
        ("yes please", Classification::None),
        ("when do we start", Classification::None),
    ]);
}

#[test]
fn help_needs_the_keyword_alone() {
    check(&[
        (
            "HELP",
            Classification::Help {
                keyword: keyword("HELP"),
            },
        ),
        (
            "info?",
            Classification::Help {
                keyword: keyword("INFO"),
            },
        ),
        ("help me understand the plan", Classification::None),
        ("help please", Classification::None),
        ("thanks for the info", Classification::None),
    ]);
}

#[test]
fn firm_added_keywords_work_as_whole_messages() {
    let mut keywords = Keywords::default();
    keywords.add(Intent::OptOut, "baja").unwrap();
    keywords.add(Intent::OptOut, "ALTO").unwrap();
    keywords.add(Intent::OptIn, "ALTA").unwrap();
    keywords.add(Intent::Help, "ayuda").unwrap();
    let c = Classifier::new(keywords);
    let cases = [
        ("BAJA", by_keyword("BAJA")),
        ("Baja.", by_keyword("BAJA")),
        ("alto!", by_keyword("ALTO")),
        ("baja por favor", by_keyword("BAJA")),
        (
            "Alta",
            Classification::OptIn {
                keyword: keyword("ALTA"),
            },
        ),
        (
            "¿Ayuda?",
            Classification::Help {
                keyword: keyword("AYUDA"),
            },
        ),
        ("el pago es muy alto", Classification::None),
    ];
    for (text, want) in cases {
        assert_eq!(c.classify(text), want, "{text:?}");
    }
}

#[test]
fn a_removed_keyword_is_no_longer_a_keyword() {
    let mut keywords = Keywords::default();
    keywords.remove("END").unwrap();
    let c = Classifier::new(keywords);
    assert_eq!(c.classify("end"), Classification::None);
    // The clear sentence still counts: that is the law, not a keyword setting.
    assert_eq!(c.classify("end the texts"), by_rule("stop_the_texts"));
}

#[test]
fn empty_and_symbol_only_messages_are_ordinary() {
    let c = classifier();
    for text in ["", "   ", "👍", "?!", "\u{0}\u{1b}", "...", "🙏🙏"] {
        assert_eq!(c.classify(text), Classification::None, "{text:?}");
    }
}

#[test]
fn opt_outs_and_opt_ins_become_consent_changes() {
    let c = classifier();
    let at = "2025-05-01T14:00:00Z".parse().unwrap();
    let change = c
        .classify("please stop texting me")
        .consent_change(at, "please stop texting me", None)
        .unwrap();
    assert_eq!(change.to, ConsentState::OptedOut);
    assert_eq!(
        change.method,
        ConsentMethod::Phrase {
            rule: "stop_texting".into()
        }
    );
    assert_eq!(change.raw_text.as_deref(), Some("please stop texting me"));
    let start = c
        .classify("START")
        .consent_change(at, "START", None)
        .unwrap();
    assert_eq!(start.to, ConsentState::Subscribed);
    assert!(
        c.classify("HELP")
            .consent_change(at, "HELP", None)
            .is_none()
    );
    assert!(
        c.classify("stop this harassment")
            .consent_change(at, "", None)
            .is_none()
    );
}

#[test]
fn intent_of_a_classification() {
    let c = classifier();
    assert_eq!(c.classify("stop").intent(), Some(Intent::OptOut));
    assert_eq!(c.classify("start").intent(), Some(Intent::OptIn));
    assert_eq!(c.classify("help").intent(), Some(Intent::Help));
    assert_eq!(c.classify("how do I opt out").intent(), None);
    assert_eq!(c.classify("see you Friday").intent(), None);
}

#[test]
fn every_phrase_rule_is_documented_for_staff() {
    let doc = include_str!("../../../../docs/COMPLIANCE.md");
    for rule in Classifier::phrase_rules() {
        assert!(
            doc.contains(&format!("`{rule}`")),
            "{rule} is not in COMPLIANCE.md"
        );
    }
}

const DEFAULT_KEYWORDS: [(&str, Intent); 15] = [
    ("STOP", Intent::OptOut),
    ("STOPALL", Intent::OptOut),
    ("UNSUBSCRIBE", Intent::OptOut),
    ("CANCEL", Intent::OptOut),
    ("END", Intent::OptOut),
    ("QUIT", Intent::OptOut),
    ("REVOKE", Intent::OptOut),
    ("OPTOUT", Intent::OptOut),
    ("OPT OUT", Intent::OptOut),
    ("OPT-OUT", Intent::OptOut),
    ("START", Intent::OptIn),
    ("YES", Intent::OptIn),
    ("UNSTOP", Intent::OptIn),
    ("HELP", Intent::Help),
    ("INFO", Intent::Help),
];

fn defaults(wanted: fn(Intent) -> bool) -> Vec<(&'static str, Intent)> {
    DEFAULT_KEYWORDS
        .into_iter()
        .filter(|(_, i)| wanted(*i))
        .collect()
}

fn any_case(word: &str, flips: &[bool]) -> String {
    word.chars()
        .zip(flips.iter().cycle())
        .map(|(c, lower)| if *lower { c.to_ascii_lowercase() } else { c })
        .collect()
}

proptest! {
    #[test]
    fn classify_never_panics_on_printable_text(text in "\\PC*") {
        let _ = classifier().classify(&text);
    }

    #[test]
    fn classify_never_panics_on_any_string(text in any::<String>()) {
        let _ = classifier().classify(&text);
    }

    #[test]
    fn phrase_detections_always_name_a_known_rule(
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "stop", "opt", "out", "please", "don't", "never", "i", "you", "me", "texting",
                "cancel", "end", "by", "the", "unsubscribe", "no", "more", "texts", ",", ".", "?",
                "revoke", "my", "consent", "remove", "list", "leave", "alone", "wrong", "number",
            ]),
            0..20,
        )
    ) {
        if let Classification::OptOut { detection: Detection::Phrase { rule } } =
            classifier().classify(&words.join(" "))
        {
            prop_assert!(Classifier::phrase_rules().contains(&rule), "{}", rule);
        }
    }

    #[test]
    fn every_default_keyword_works_in_any_case_with_any_padding(
        (word, intent) in proptest::sample::select(DEFAULT_KEYWORDS.to_vec()),
        flips in proptest::collection::vec(any::<bool>(), 1..12),
        before in "[ \\t\\n.!?,;:\"'()*~🙏👍😊-]{0,6}",
        after in "[ \\t\\n.!?,;:\"'()*~🙏👍😊-]{0,6}",
    ) {
        let text = format!("{before}{}{after}", any_case(word, &flips));
        prop_assert_eq!(classifier().classify(&text).intent(), Some(intent), "{:?}", text);
    }

    #[test]
    fn every_opt_out_keyword_with_courtesy_words_opts_out(
        (word, _) in proptest::sample::select(defaults(|i| i == Intent::OptOut)),
        before in proptest::collection::vec(proptest::sample::select(vec!["please", "ok", "just", "sorry"]), 0..2),
        after in proptest::collection::vec(proptest::sample::select(vec!["please", "now", "thanks", "thank you", "all texts"]), 0..2),
    ) {
        let text = [before.join(" "), word.to_lowercase(), after.join(" ")].join(" ");
        prop_assert_eq!(classifier().classify(&text).intent(), Some(Intent::OptOut), "{:?}", text);
    }

    #[test]
    fn a_negated_opt_out_word_never_opts_out(
        (word, _) in proptest::sample::select(defaults(|i| i == Intent::OptOut)),
        flips in proptest::collection::vec(any::<bool>(), 1..12),
        negation in proptest::sample::select(vec!["I never said", "please don't", "I didn't", "we did not"]),
    ) {
        let text = format!("{negation} {}", any_case(word, &flips));
        prop_assert_ne!(classifier().classify(&text).intent(), Some(Intent::OptOut), "{:?}", text);
    }

    #[test]
    fn opt_in_and_help_never_come_from_a_longer_sentence(
        (word, _) in proptest::sample::select(defaults(|i| i != Intent::OptOut)),
        rest in "[a-z]{2,8}( [a-z]{2,8}){0,3}",
    ) {
        let c = classifier();
        for text in [format!("{word} {rest}"), format!("{rest} {word}")] {
            let got = c.classify(&text).intent();
            prop_assert!(got != Some(Intent::OptIn) && got != Some(Intent::Help), "{:?} -> {:?}", text, got);
        }
    }

    #[test]
    fn case_never_changes_the_classification(text in "[a-zA-Z ,.!?']{0,60}") {
        let c = classifier();
        prop_assert_eq!(c.classify(&text), c.classify(&text.to_ascii_uppercase()));
        prop_assert_eq!(c.classify(&text), c.classify(&text.to_ascii_lowercase()));
    }

    #[test]
    fn firm_added_keywords_match_as_whole_messages(
        word in "[A-Z]{3,12}",
        intent in proptest::sample::select(Intent::ALL.to_vec()),
        flips in proptest::collection::vec(any::<bool>(), 1..12),
    ) {
        let mut keywords = Keywords::default();
        prop_assume!(keywords.add(intent, &word).is_ok());
        let c = Classifier::new(keywords);
        prop_assert_eq!(c.classify(&format!(" {}! ", any_case(&word, &flips))).intent(), Some(intent));
    }
}
