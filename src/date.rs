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

/// Seconds since the epoch as RFC 3339 UTC with seconds (`dateTimeFromEpoch`).
pub fn rfc3339(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch of an ISO 8601 UTC date and time: `2020-04-07T14:53:14Z`, a space
/// for the `T`, fractions of a second (dropped), `Z` or no zone; a date alone is midnight.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches(['Z', 'z']);
    let (date, time) = match text.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, t),
        None => (text, "00:00:00"),
    };
    let date = Date::parse(date)?;
    let time = time.split('.').next()?;
    let mut hms = time.split(':');
    let (h, m, s) = (hms.next()?, hms.next()?, hms.next().unwrap_or("0"));
    let field = |v: &str, max: i64| v.parse::<i64>().ok().filter(|n| (0..=max).contains(n));
    let (h, m, s) = (field(h, 23)?, field(m, 59)?, field(s, 60)?);
    hms.next()
        .is_none()
        .then_some(date.days() * 86_400 + h * 3600 + m * 60 + s)
}

/// A timestamp plus an ISO 8601 duration (`P1Y2M3DT4H5M6S`, `P2W`, `-P1D`): years and months
/// move the calendar (the day clamped to the month's last), the rest adds seconds.
pub fn add_duration(secs: i64, duration: &str) -> Option<i64> {
    let d = duration.trim();
    let (sign, d) = match d.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, d),
    };
    let d = d.strip_prefix(['P', 'p'])?;
    let (date_part, time_part) = d.split_once(['T', 't']).unwrap_or((d, ""));
    let units = |part: &str, letters: &[(char, i64)]| -> Option<Vec<(char, i64)>> {
        let mut out = Vec::new();
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                number.push(c);
            } else {
                let unit = c.to_ascii_uppercase();
                letters.iter().find(|(l, _)| *l == unit)?;
                out.push((unit, number.parse::<i64>().ok()?));
                number.clear();
            }
        }
        number.is_empty().then_some(out)
    };
    let date_units = units(date_part, &[('Y', 0), ('M', 0), ('W', 0), ('D', 0)])?;
    let time_units = units(time_part, &[('H', 0), ('M', 0), ('S', 0)])?;
    if date_units.is_empty() && time_units.is_empty() {
        return None;
    }
    let (mut months, mut seconds) = (0i64, 0i64);
    for (u, n) in date_units {
        match u {
            'Y' => months = months.checked_add(n.checked_mul(12)?)?,
            'M' => months = months.checked_add(n)?,
            'W' => seconds = seconds.checked_add(n.checked_mul(7 * 86_400)?)?,
            _ => seconds = seconds.checked_add(n.checked_mul(86_400)?)?,
        }
    }
    for (u, n) in time_units {
        let per = match u {
            'H' => 3600,
            'M' => 60,
            _ => 1,
        };
        seconds = seconds.checked_add(n.checked_mul(per)?)?;
    }
    let day = Date::from_days(secs.div_euclid(86_400));
    let within = secs.rem_euclid(86_400);
    let total = (day.year * 12 + i64::from(day.month) - 1).checked_add(sign * months)?;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let last_day = (28..=31).rev().find(|d| {
        Date::from_days(
            Date {
                year,
                month,
                day: *d,
            }
            .days(),
        )
        .month
            == month
    })?;
    let moved = Date {
        year,
        month,
        day: day.day.min(last_day),
    };
    (moved.days() * 86_400 + within).checked_add(sign * seconds)
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

    #[test]
    fn timestamps_and_iso_durations() {
        let t = parse_timestamp("2020-04-07T14:53:14Z").unwrap();
        assert_eq!(rfc3339(t), "2020-04-07T14:53:14Z");
        assert_eq!(parse_timestamp("2020-04-07 14:53:14.123Z"), Some(t));
        assert_eq!(
            rfc3339(add_duration(t, "P3Y").unwrap()),
            "2023-04-07T14:53:14Z"
        );
        assert_eq!(
            rfc3339(add_duration(t, "-PT4H").unwrap()),
            "2020-04-07T10:53:14Z"
        );
        assert_eq!(
            rfc3339(add_duration(t, "P1W1DT1M").unwrap()),
            "2020-04-15T14:54:14Z"
        );
        let jan31 = parse_timestamp("2021-01-31T00:00:00Z").unwrap();
        assert_eq!(
            rfc3339(add_duration(jan31, "P1M").unwrap()),
            "2021-02-28T00:00:00Z"
        );
        for bad in ["", "P", "1D", "PT", "P1X", "P1", "P99999999999999999999Y"] {
            assert_eq!(add_duration(t, bad), None, "{bad}");
        }
        for bad in [
            "2020-13-01T00:00:00Z",
            "2020-04-07T24:00:00Z",
            "x",
            "2020-04-07T1:2:3:4",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
