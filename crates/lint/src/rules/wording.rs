//! Wording carriers and campaign reviewers act on: SHAFT content (sex, hate, alcohol,
//! firearms, tobacco, plus cannabis) and phrases that read as debt relief, credit repair
//! or debt collection, use cases toll-free verification and 10DLC review refuse.
//!
//! The lists are short on purpose: a false alarm on every text teaches staff to ignore
//! the linter. Bankruptcy vocabulary that filters might misread ("discharge", "joint
//! petition", "bar date") is deliberately absent.

use std::sync::LazyLock;

use regex::Regex;

use crate::{Code, Finding, Severity};

/// A SHAFT category, as named in findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shaft {
    Sex,
    Hate,
    Alcohol,
    Firearms,
    Tobacco,
    Cannabis,
}

impl Shaft {
    fn about(self) -> &'static str {
        match self {
            Shaft::Sex => "sexual content",
            Shaft::Hate => "hate speech",
            Shaft::Alcohol => "alcohol",
            Shaft::Firearms => "firearms",
            Shaft::Tobacco => "tobacco or vaping",
            Shaft::Cannabis => "cannabis",
        }
    }
}

/// Whole words or phrases, as regex fragments matched case-insensitively.
const SHAFT: &[(Shaft, &[&str])] = &[
    (
        Shaft::Sex,
        &[
            r"sex",
            r"sexy",
            r"porn\w*",
            r"xxx",
            r"nudes?",
            r"onlyfans",
            r"hookups?",
        ],
    ),
    (Shaft::Hate, &[r"kkk", r"white\s+power", r"heil\s+hitler"]),
    (
        Shaft::Alcohol,
        &[
            r"beers?",
            r"wines?",
            r"liquor",
            r"vodka",
            r"whiske?y",
            r"tequila",
            r"bourbon",
            r"champagne",
            r"cocktails?",
            r"booze",
            r"happy\s+hour",
        ],
    ),
    (
        Shaft::Firearms,
        &[
            r"guns?",
            r"handguns?",
            r"shotguns?",
            r"firearms?",
            r"rifles?",
            r"pistols?",
            r"ammo",
            r"ammunition",
            r"ar-15s?",
        ],
    ),
    (
        Shaft::Tobacco,
        &[
            r"tobacco",
            r"cigarettes?",
            r"cigars?",
            r"vapes?",
            r"vaping",
            r"e-?cigs?",
            r"e-?cigarettes?",
            r"nicotine",
            r"hookah",
            r"juul",
        ],
    ),
    (
        Shaft::Cannabis,
        &[
            r"cannabis",
            r"marijuana",
            r"thc",
            r"cbd",
            r"dispensar(?:y|ies)",
            r"edibles",
            r"kush",
        ],
    ),
];

/// What to say instead, replacing the matched phrase.
const BANKRUPTCY_CASE: Option<&str> = Some("your bankruptcy case");
const WORK_ON_CASE: Option<&str> = Some("work on your bankruptcy case");

/// Phrases reviewers read as debt relief, credit repair or collection, each with neutral
/// wording that fits where the phrase stood (`None` when the sentence has to go).
const DEBT_RELIEF: &[(&str, Option<&str>)] = &[
    (r"debt[\s-]+relief", BANKRUPTCY_CASE),
    (r"debt[\s-]+settlements?", BANKRUPTCY_CASE),
    (r"debt[\s-]+reduction", BANKRUPTCY_CASE),
    (r"debt[\s-]+consolidation", BANKRUPTCY_CASE),
    (r"debt[\s-]+forgiveness", BANKRUPTCY_CASE),
    (r"credit[\s-]+repair", BANKRUPTCY_CASE),
    (r"debt[\s-]+free", Some("through your bankruptcy case")),
    (
        r"(?:reduce|eliminate|erase|wipe\s+out|consolidate|settle|lower)\s+(?:all\s+(?:of\s+)?)?your\s+debts?",
        WORK_ON_CASE,
    ),
    (
        r"(?:repair|fix|restore|rebuild)\s+your\s+credit",
        WORK_ON_CASE,
    ),
    (
        r"get\s+out\s+of\s+debt",
        Some("complete your bankruptcy case"),
    ),
    (r"pennies\s+on\s+the\s+dollar", None),
    (
        r"stop\s+(?:the\s+)?(?:collection|creditor|debt\s+collector)\s+calls",
        Some("pause collection under the automatic stay"),
    ),
    (
        r"(?:this\s+is\s+an\s+)?attempt\s+to\s+collect\s+a\s+debt",
        None,
    ),
];

/// One regex over all alternatives of a table, one capture group per entry, so a match
/// says which entry it was.
fn table_regex<'a>(fragments: impl Iterator<Item = &'a str>) -> Regex {
    let alternatives: Vec<String> = fragments.map(|f| format!("({f})")).collect();
    // ASCII word boundaries: a Unicode `\b` keeps the regex engine off its fast path as
    // soon as the text has a curly quote in it, ten times slower; every entry starts and
    // ends with an ASCII letter or digit, so the ASCII boundary is the same test here.
    let pattern = format!(r"(?i)(?-u:\b)(?:{})(?-u:\b)", alternatives.join("|"));
    // The patterns are constants of this module; the tests compile them.
    Regex::new(&pattern).expect("the wording tables are valid regexes")
}

static SHAFT_REGEX: LazyLock<Regex> = LazyLock::new(|| {
    // One group per category: a category's words are alternatives inside its group.
    let categories: Vec<String> = SHAFT.iter().map(|(_, words)| words.join("|")).collect();
    table_regex(categories.iter().map(String::as_str))
});

static DEBT_RELIEF_REGEX: LazyLock<Regex> =
    LazyLock::new(|| table_regex(DEBT_RELIEF.iter().map(|(fragment, _)| *fragment)));

/// Each match of `regex` in `body`, with the index of the table entry that matched.
fn matches<'b>(regex: &Regex, body: &'b str) -> impl Iterator<Item = (usize, regex::Match<'b>)> {
    regex.captures_iter(body).filter_map(|captures| {
        (1..captures.len()).find_map(|group| captures.get(group).map(|m| (group - 1, m)))
    })
}

pub(crate) fn check(body: &str, out: &mut Vec<Finding>) {
    for (entry, found) in matches(&SHAFT_REGEX, body) {
        let Some((category, _)) = SHAFT.get(entry) else {
            continue;
        };
        out.push(Finding::new(
            Code::ShaftContent,
            Severity::Warning,
            found.range(),
            format!(
                "\"{}\" reads as {} to carrier filters, which block SHAFT content (sex, hate, \
                 alcohol, firearms, tobacco, cannabis). Rephrase it, or discuss it by phone.",
                found.as_str(),
                category.about()
            ),
        ));
    }
    for (entry, found) in matches(&DEBT_RELIEF_REGEX, body) {
        let Some((_, instead)) = DEBT_RELIEF.get(entry) else {
            continue;
        };
        let finding = Finding::new(
            Code::DebtReliefWording,
            Severity::Warning,
            found.range(),
            format!(
                "\"{}\" reads as debt relief, credit repair or debt collection, which \
                 toll-free verification and 10DLC review refuse and carriers filter. Talk \
                 about the client's bankruptcy case instead.",
                found.as_str()
            ),
        );
        out.push(match instead {
            Some(instead) => finding.suggest(*instead),
            None => finding,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{flagged, flagged_text};

    #[test]
    fn the_wording_tables_compile() {
        assert_eq!(SHAFT_REGEX.captures_len() - 1, SHAFT.len());
        assert_eq!(DEBT_RELIEF_REGEX.captures_len() - 1, DEBT_RELIEF.len());
    }

    #[test]
    fn shaft_words_are_flagged_as_whole_words_in_any_case() {
        let cases: &[(&str, &[&str])] = &[
            ("Bring a list of your guns and rifles", &["guns", "rifles"]),
            ("Happy Hour at the office!", &["Happy Hour"]),
            ("No VAPING in the courthouse", &["VAPING"]),
            ("Your CBD shop's lease", &["CBD"]),
            ("Do not sell the wine collection", &["wine"]),
            ("Marijuana-related income must be listed", &["Marijuana"]),
        ];
        for (body, expected) in cases {
            assert_eq!(flagged_text(body, Code::ShaftContent), *expected, "{body}");
        }
        let (_, finding) = &flagged("guns", Code::ShaftContent)[0];
        assert!(finding.message.contains("firearms"));
    }

    #[test]
    fn bankruptcy_vocabulary_is_not_shaft_content() {
        for body in [
            "Your discharge was entered today.",
            "The joint petition was filed for both of you.",
            "The bar date for claims is June 1.",
            "Your hearing in Sussex County is at 9; Essex and Middlesex too.",
            "Please bring a sextant? No: bring your Sextonville lease.",
            "The trustee may shoot you an email about the hearing.",
            "Begin gathering documents; the engine and the winery-free zone.",
            "Your 341 meeting of creditors is on May 5.",
            "Exemptions, garnishment, liens and the automatic stay.",
        ] {
            assert_eq!(
                flagged_text(body, Code::ShaftContent),
                Vec::<String>::new(),
                "{body}"
            );
        }
    }

    #[test]
    fn debt_relief_phrases_are_flagged_with_neutral_wording() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            (
                "We offer debt relief.",
                "debt relief",
                Some("your bankruptcy case"),
            ),
            (
                "Debt-Settlement options",
                "Debt-Settlement",
                Some("your bankruptcy case"),
            ),
            (
                "a plan for debt reduction",
                "debt reduction",
                Some("your bankruptcy case"),
            ),
            (
                "Ask about credit repair",
                "credit repair",
                Some("your bankruptcy case"),
            ),
            (
                "We can reduce your debt",
                "reduce your debt",
                Some("work on your bankruptcy case"),
            ),
            (
                "Eliminate all your debts now",
                "Eliminate all your debts",
                Some("work on your bankruptcy case"),
            ),
            (
                "wipe out your debt",
                "wipe out your debt",
                Some("work on your bankruptcy case"),
            ),
            (
                "consolidate your debts",
                "consolidate your debts",
                Some("work on your bankruptcy case"),
            ),
            (
                "Get out of debt fast",
                "Get out of debt",
                Some("complete your bankruptcy case"),
            ),
            (
                "Be debt-free",
                "debt-free",
                Some("through your bankruptcy case"),
            ),
            (
                "Filing will stop collection calls",
                "stop collection calls",
                Some("pause collection under the automatic stay"),
            ),
            (
                "This is an attempt to collect a debt.",
                "This is an attempt to collect a debt",
                None,
            ),
        ];
        for (body, text, suggestion) in cases {
            let found = flagged(body, Code::DebtReliefWording);
            assert_eq!(found.len(), 1, "{body}");
            assert_eq!(found[0].0, *text, "{body}");
            assert_eq!(found[0].1.suggestion.as_deref(), *suggestion, "{body}");
        }
    }

    #[test]
    fn ordinary_case_talk_is_not_debt_relief_wording() {
        for body in [
            "Your Chapter 7 case was filed today.",
            "The trustee reviewed your debts and your credit report.",
            "Your debt to the IRS is listed on Schedule E/F.",
            "Relief from stay motion: hearing on May 5.",
            "Your credit counseling certificate is due.",
        ] {
            assert!(flagged(body, Code::DebtReliefWording).is_empty(), "{body}");
        }
    }
}
