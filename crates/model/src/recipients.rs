//! Who receives a text sent from a case.

use serde::{Deserialize, Serialize};

use crate::{Case, Debtor, DebtorId, PhoneNumber};

/// One number a case text goes to, tied to the debtor it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// The debtor the number belongs to (the first-named one, when two share it).
    pub debtor_id: DebtorId,
    /// The debtor's first name, for "Hi Maria".
    pub first_name: String,
    /// The mobile number.
    pub number: PhoneNumber,
}

/// A number listed on more than one debtor of a case. It is texted once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedNumber {
    /// The number.
    pub number: PhoneNumber,
    /// Every debtor that lists it, in case order.
    pub debtors: Vec<DebtorId>,
}

/// The answer to "who receives a text from this case".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Recipients {
    /// Each distinct mobile number once, in debtor order.
    pub recipients: Vec<Recipient>,
    /// Numbers that more than one debtor lists: texted once, reported here so staff can
    /// tell the clients apart.
    pub shared: Vec<SharedNumber>,
    /// Debtors with no mobile number: they receive nothing.
    pub without_mobile: Vec<DebtorId>,
}

impl Recipients {
    /// Works out the recipients of a text from `case`: every debtor's mobile numbers,
    /// each number once.
    pub fn of(case: &Case) -> Self {
        Self::of_debtors(case.debtors.iter())
    }

    /// Same as [`Recipients::of`], for any list of debtors.
    pub fn of_debtors<'a>(debtors: impl IntoIterator<Item = &'a Debtor>) -> Self {
        let mut out = Recipients::default();
        for debtor in debtors {
            let mut has_mobile = false;
            for phone in debtor.phones.iter().filter(|p| p.kind.is_textable()) {
                has_mobile = true;
                match out.recipients.iter().find(|r| r.number == phone.number) {
                    None => out.recipients.push(Recipient {
                        debtor_id: debtor.id,
                        first_name: debtor.name.first().to_owned(),
                        number: phone.number.clone(),
                    }),
                    Some(first) if first.debtor_id == debtor.id => {}
                    Some(first) => {
                        let owner = first.debtor_id;
                        match out.shared.iter_mut().find(|s| s.number == phone.number) {
                            Some(shared) if !shared.debtors.contains(&debtor.id) => {
                                shared.debtors.push(debtor.id);
                            }
                            Some(_) => {}
                            None => out.shared.push(SharedNumber {
                                number: phone.number.clone(),
                                debtors: vec![owner, debtor.id],
                            }),
                        }
                    }
                }
            }
            if !has_mobile {
                out.without_mobile.push(debtor.id);
            }
        }
        out
    }

    /// Whether nobody can be texted.
    pub fn is_empty(&self) -> bool {
        self.recipients.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PersonName, case::Debtors};
    use crate::{Phone, PhoneId, PhoneKind, Region};

    fn phone(id: i64, number: &str, kind: PhoneKind) -> Phone {
        Phone {
            id: PhoneId::new(id),
            number: PhoneNumber::parse(number, Region::US).unwrap(),
            kind,
        }
    }

    fn debtor(id: i64, first: &str, phones: Vec<Phone>) -> Debtor {
        Debtor {
            id: DebtorId::new(id),
            name: PersonName::new(first, "Rivera").unwrap(),
            email: None,
            phones,
            time_zone: None,
        }
    }

    fn numbers(r: &Recipients) -> Vec<(i64, &str)> {
        r.recipients
            .iter()
            .map(|r| (r.debtor_id.get(), r.number.as_e164()))
            .collect()
    }

    #[test]
    fn a_joint_case_yields_both_debtors_mobiles() {
        let joint = Debtors::Joint {
            debtor: debtor(
                1,
                "Maria",
                vec![
                    phone(1, "312-555-0101", PhoneKind::Mobile),
                    phone(2, "312-555-0102", PhoneKind::Home),
                ],
            ),
            joint_debtor: debtor(2, "Luis", vec![phone(3, "312-555-0103", PhoneKind::Mobile)]),
        };
        let r = Recipients::of_debtors(joint.iter());
        assert_eq!(numbers(&r), [(1, "+13125550101"), (2, "+13125550103")]);
        assert_eq!(r.recipients[1].first_name, "Luis");
        assert!(r.shared.is_empty() && r.without_mobile.is_empty());
    }

    #[test]
    fn a_shared_number_is_texted_once_and_reported() {
        let joint = Debtors::Joint {
            debtor: debtor(
                1,
                "Maria",
                vec![phone(1, "312-555-0101", PhoneKind::Mobile)],
            ),
            joint_debtor: debtor(
                2,
                "Luis",
                vec![phone(2, "(312) 555-0101", PhoneKind::Mobile)],
            ),
        };
        let r = Recipients::of_debtors(joint.iter());
        assert_eq!(numbers(&r), [(1, "+13125550101")]);
        assert_eq!(r.shared.len(), 1);
        assert_eq!(r.shared[0].debtors, [DebtorId::new(1), DebtorId::new(2)]);
    }

    #[test]
    fn debtors_without_a_mobile_are_listed() {
        let single = debtor(1, "Maria", vec![phone(1, "312-555-0101", PhoneKind::Work)]);
        let r = Recipients::of_debtors([&single]);
        assert!(r.is_empty());
        assert_eq!(r.without_mobile, [DebtorId::new(1)]);
    }

    #[test]
    fn the_same_number_twice_on_one_debtor_is_not_doubled() {
        let d = debtor(
            1,
            "Maria",
            vec![
                phone(1, "312-555-0101", PhoneKind::Mobile),
                phone(2, "312.555.0101", PhoneKind::Mobile),
            ],
        );
        let r = Recipients::of_debtors([&d]);
        assert_eq!(numbers(&r), [(1, "+13125550101")]);
        assert!(r.shared.is_empty());
    }
}
