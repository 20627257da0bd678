//! Calendar dates and UTC timestamps, without a date crate: the report needs one timestamp and
//! exceptions need day arithmetic, nothing more.

use std::fmt;

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        Date::from_days(now_secs().div_euclid(86_400))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.trim().splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        // Digits only: `str::parse` would take `+1` as a month.
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        // Round-tripping through the day count rejects 2027-02-30 and month 13.
        (Date::from_days(date.days()) == date).then_some(date)
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn days(self) -> i64 {
        let y = self.year - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        Date {
            year: yoe + era * 400 + i64::from(month <= 2),
            month,
            day,
        }
    }

    /// The same day a year later (28 February for 29 February).
    pub fn plus_one_year(self) -> Date {
        let next = Date {
            year: self.year + 1,
            ..self
        };
        if Date::from_days(next.days()) == next {
            next
        } else {
            Date { day: 28, ..next }
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now_rfc3339() -> String {
    rfc3339(now_secs())
}

fn rfc3339(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_validate() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_694_400), "2026-11-26T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        let d = Date::parse("2027-03-31").unwrap();
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(d.to_string(), "2027-03-31");
        assert!(Date::parse("2027-02-30").is_none());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("27-03-31").is_none());
        assert!(Date::parse("31/03/2027").is_none());
        for signed in ["2027-+1-01", "+027-01-01", "2027-01-+1", "2027- 1-01"] {
            assert!(Date::parse(signed).is_none(), "{signed}");
        }
        assert_eq!(
            Date::parse("2028-02-29")
                .unwrap()
                .plus_one_year()
                .to_string(),
            "2029-02-28"
        );
    }
}
