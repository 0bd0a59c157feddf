// WidgetScheduleParser: the text of `widget_hours`, `widget_timezone` and `widget_exceptions`
// into a WidgetSchedule's parts, and the sentences that say what is wrong with them. The format
// itself is documented on WidgetSchedule.

import Foundation

/// Why a widget schedule setting was refused: one sentence a person understands, naming the
/// field and the bad part and saying what is expected, e.g.
/// "Field 'widget_hours': '9-17' in 'mon 9-17' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."
public struct WidgetScheduleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The setting a schedule is made of.
    public enum Field: String, Sendable, CaseIterable {
        case hours = "widget_hours"
        case timeZone = "widget_timezone"
        case exceptions = "widget_exceptions"
    }

    /// The setting that was refused.
    public let field: Field
    /// The sentence.
    public let message: String

    /// `rest` follows "Field '<name>'", e.g. `": 'mo' is not a day; …"` or `" is 5000 characters long; …"`.
    init(_ field: Field, _ rest: String) {
        self.field = field
        self.message = "Field '\(field.rawValue)'" + rest
    }

    /// The sentence.
    public var description: String { message }
}

/// One opening range of a calendar date, in minutes after that date's local midnight.
///
/// `0 <= start < 1440`; `start < end < start + 1440`, except `00:00-24:00` (`end == 1440`).
/// An `end` above 1440 runs past midnight into the next date (`22:00-02:00` is 1320...1560).
struct DailyRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    let start: Int
    let end: Int

    static func < (lhs: DailyRange, rhs: DailyRange) -> Bool {
        (lhs.start, lhs.end) < (rhs.start, rhs.end)
    }

    /// As typed: "09:00-17:00", "22:00-02:00", "20:00-24:00".
    var description: String {
        DailyRange.clock(start) + "-" + DailyRange.clock(end > 1440 ? end - 1440 : end)
    }

    /// Minutes after midnight as "HH:MM" (1440 is "24:00").
    static func clock(_ minutes: Int) -> String {
        let hours = minutes / 60, rest = minutes % 60
        return (hours < 10 ? "0" : "") + String(hours) + ":" + (rest < 10 ? "0" : "") + String(rest)
    }
}

enum WidgetScheduleParser {
    /// The most characters a setting may have (the intake may already allow fewer).
    static let maxCharacters = 16_384
    /// The most weekly ranges, counted per day (`mon-fri 09:00-12:00,13:00-17:00` is 10).
    static let maxWeeklyRanges = 64
    /// The most dated exceptions.
    static let maxExceptionDates = 366
    /// The most ranges of one dated exception.
    static let maxRangesPerDate = 16

    /// Day names by weekday index, 0 = Monday.
    static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let fullDayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    private static let dayList = "mon, tue, wed, thu, fri, sat or sun"

    // MARK: widget_hours

    /// The weekly ranges by weekday (index 0 = Monday), each day's sorted by start.
    static func hours(_ text: String) throws(WidgetScheduleError) -> [[DailyRange]] {
        let field = WidgetScheduleError.Field.hours
        try checkLength(text, field)
        var days = [[DailyRange]](repeating: [], count: 7)
        var closedDays = Set<Int>()
        var count = 0
        for entry in entries(text) {
            let parts = tokens(entry)
            guard parts.count == 2 else {
                throw WidgetScheduleError(
                    field,
                    ": \(IntakeDisplay.quoted(entry)) is not days followed by hours; "
                        + "expected e.g. mon-fri 09:00-17:00 or sun closed."
                )
            }
            let weekdays = try self.weekdays(parts[0], entry: entry)
            guard let ranges = try self.ranges(parts[1], entry: entry, field: field) else {
                closedDays.formUnion(weekdays)
                continue
            }
            count += weekdays.count * ranges.count
            if count > maxWeeklyRanges {
                throw WidgetScheduleError(
                    field,
                    " has more than \(maxWeeklyRanges) ranges (counting each day of a day list or day range); "
                        + "expected at most \(maxWeeklyRanges)."
                )
            }
            for day in weekdays { days[day].append(contentsOf: ranges) }
        }
        for day in 0..<7 where closedDays.contains(day) && !days[day].isEmpty {
            throw WidgetScheduleError(
                field,
                ": \(dayNames[day]) is marked closed and also given hours; expected one or the other."
            )
        }
        for day in 0..<7 { days[day].sort() }
        try checkWeeklyOverlaps(days)
        return days
    }

    /// The weekdays of a day spec: `mon`, `mon,wed`, `mon-fri`, `fri-mon`, `mon-wed,fri`.
    private static func weekdays(_ spec: String, entry: String) throws(WidgetScheduleError) -> [Int] {
        let field = WidgetScheduleError.Field.hours
        var result: [Int] = []
        for item in spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let ends = item.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            var days: [Int]
            switch ends.count {
            case 1:
                days = [try weekday(item, entry: entry)]
            case 2 where !ends[0].isEmpty && !ends[1].isEmpty:
                let first = try weekday(ends[0], entry: entry)
                let last = try weekday(ends[1], entry: entry)
                if first == last {
                    throw WidgetScheduleError(
                        field,
                        ": \(IntakeDisplay.quoted(item)) in \(IntakeDisplay.quoted(entry)) starts and ends on the same day; "
                            + "expected one day alone (\(dayNames[first])) or a range of different days (mon-sun for the whole week)."
                    )
                }
                days = []
                var day = first
                while true {
                    days.append(day)
                    if day == last { break }
                    day = (day + 1) % 7
                }
            default:
                throw WidgetScheduleError(
                    field,
                    ": \(IntakeDisplay.quoted(item)) in \(IntakeDisplay.quoted(entry)) is not a day or a day range; "
                        + "expected e.g. mon, mon-fri or mon,wed,fri."
                )
            }
            for day in days {
                if result.contains(day) {
                    throw WidgetScheduleError(
                        field,
                        ": \(IntakeDisplay.quoted(spec)) in \(IntakeDisplay.quoted(entry)) names \(dayNames[day]) twice; "
                            + "expected each day at most once per entry."
                    )
                }
                result.append(day)
            }
        }
        return result
    }

    private static func weekday(_ name: String, entry: String) throws(WidgetScheduleError) -> Int {
        let lower = name.lowercased()
        if let index = dayNames.firstIndex(of: lower) ?? fullDayNames.firstIndex(of: lower) { return index }
        throw WidgetScheduleError(
            .hours,
            ": \(IntakeDisplay.quoted(name)) in \(IntakeDisplay.quoted(entry)) is not a day; expected \(dayList)."
        )
    }

    /// Weekly ranges on a circular week must not overlap (touching is fine); a range past
    /// midnight counts on the next day, and Sunday's runs into Monday.
    private static func checkWeeklyOverlaps(_ days: [[DailyRange]]) throws(WidgetScheduleError) {
        let week = 7 * 1440
        var all: [(day: Int, range: DailyRange, start: Int, end: Int)] = []
        for (day, ranges) in days.enumerated() {
            for range in ranges { all.append((day, range, day * 1440 + range.start, day * 1440 + range.end)) }
        }
        for i in all.indices {
            for j in all.indices where j > i {
                let a = all[i], b = all[j]
                let overlap = [0, week, -week].contains { shift in
                    a.start < b.end + shift && b.start + shift < a.end
                }
                if overlap {
                    throw WidgetScheduleError(
                        .hours,
                        ": \(dayNames[a.day]) \(a.range) overlaps \(dayNames[b.day]) \(b.range); "
                            + "expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."
                    )
                }
            }
        }
    }

    // MARK: widget_timezone

    /// The named time zone; UTC for an empty setting. Names are matched exactly first, then
    /// regardless of case (`europe/berlin`, `utc`).
    static func timeZone(_ text: String) throws(WidgetScheduleError) -> TimeZone {
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = name.lowercased()
        if name.isEmpty || lower == "utc" || lower == "gmt" { return utc }
        if name.count <= 64 {
            if let zone = TimeZone(identifier: name) { return zone }
            if let known = TimeZone.knownTimeZoneIdentifiers.first(where: { $0.lowercased() == lower }),
               let zone = TimeZone(identifier: known) {
                return zone
            }
        }
        throw WidgetScheduleError(
            .timeZone,
            ": \(IntakeDisplay.quoted(name)) is not a known time zone; "
                + "expected an IANA name such as Europe/Berlin, America/New_York or UTC."
        )
    }

    static let utc = TimeZone(secondsFromGMT: 0)!

    // MARK: widget_exceptions

    /// The dated ranges by day number (days since 1970-01-01); a closed date maps to `[]`.
    static func exceptions(_ text: String) throws(WidgetScheduleError) -> [Int: [DailyRange]] {
        let field = WidgetScheduleError.Field.exceptions
        try checkLength(text, field)
        var result: [Int: [DailyRange]] = [:]
        for entry in entries(text) {
            let parts = tokens(entry)
            guard parts.count == 2 else {
                throw WidgetScheduleError(
                    field,
                    ": \(IntakeDisplay.quoted(entry)) is not a date followed by hours; "
                        + "expected e.g. 2026-12-25 closed or 2026-12-24 09:00-12:00."
                )
            }
            let day = try date(parts[0], entry: entry)
            if result[day] != nil {
                throw WidgetScheduleError(
                    field,
                    ": \(IntakeDisplay.quoted(parts[0])) appears twice; expected each date at most once."
                )
            }
            if result.count == maxExceptionDates {
                throw WidgetScheduleError(
                    field,
                    " has more than \(maxExceptionDates) dates; expected at most \(maxExceptionDates)."
                )
            }
            let ranges = (try self.ranges(parts[1], entry: entry, field: field) ?? []).sorted()
            if ranges.count > maxRangesPerDate {
                throw WidgetScheduleError(
                    field,
                    ": \(parts[0]) has \(ranges.count) ranges; expected at most \(maxRangesPerDate) per date."
                )
            }
            for (index, a) in ranges.enumerated() {
                for b in ranges[(index + 1)...] where b.start < a.end {
                    throw WidgetScheduleError(
                        field,
                        ": on \(parts[0]), \(a) overlaps \(b); "
                            + "expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."
                    )
                }
            }
            result[day] = ranges
        }
        return result
    }

    /// A `YYYY-MM-DD` date as a day number (days since 1970-01-01).
    private static func date(_ text: String, entry: String) throws(WidgetScheduleError) -> Int {
        let field = WidgetScheduleError.Field.exceptions
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = digits(parts[0]), let month = digits(parts[1]), let day = digits(parts[2]) else {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) in \(IntakeDisplay.quoted(entry)) is not a date; "
                    + "expected YYYY-MM-DD, e.g. 2026-12-25."
            )
        }
        guard year >= 1 else {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) is not a real date; expected a year from 0001 to 9999."
            )
        }
        guard (1...12).contains(month) else {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) is not a real date; expected a month from 01 to 12."
            )
        }
        let length = CivilDate.daysInMonth(year: year, month: month)
        guard (1...length).contains(day) else {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) is not a real date; "
                    + "\(monthNames[month - 1]) \(year) has \(length) days."
            )
        }
        return CivilDate.dayNumber(year: year, month: month, day: day)
    }

    private static let monthNames = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]

    // MARK: shared

    /// The ranges of `closed` (nil) or `09:00-12:00,13:00-17:00`, in the order written.
    private static func ranges(
        _ spec: String, entry: String, field: WidgetScheduleError.Field
    ) throws(WidgetScheduleError) -> [DailyRange]? {
        if spec.lowercased() == "closed" { return nil }
        var result: [DailyRange] = []
        for item in spec.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            result.append(try range(item, entry: entry, field: field))
        }
        return result
    }

    private static func range(
        _ text: String, entry: String, field: WidgetScheduleError.Field
    ) throws(WidgetScheduleError) -> DailyRange {
        let ends = text.split(separator: "-", omittingEmptySubsequences: false)
        guard ends.count == 2, let start = clockShape(ends[0]), let end = clockShape(ends[1]) else {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) in \(IntakeDisplay.quoted(entry)) is not a time range; "
                    + "expected HH:MM-HH:MM, e.g. 09:00-17:00."
            )
        }
        for (part, time) in [(ends[0], start), (ends[1], end)]
        where time.minute > 59 || time.hour > 24 || (time.hour == 24 && time.minute != 0) {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(String(part))) in \(IntakeDisplay.quoted(entry)) is not a time of day; "
                    + "expected 00:00 to 23:59, or 24:00 to end a range."
            )
        }
        let startMinutes = start.hour * 60 + start.minute
        var endMinutes = end.hour * 60 + end.minute
        if startMinutes == 1440 {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) in \(IntakeDisplay.quoted(entry)) starts at 24:00; "
                    + "expected a start from 00:00 to 23:59 (24:00 may only end a range)."
            )
        }
        if startMinutes == endMinutes {
            throw WidgetScheduleError(
                field,
                ": \(IntakeDisplay.quoted(text)) in \(IntakeDisplay.quoted(entry)) is empty; "
                    + "expected an end different from the start (an end earlier than the start runs past midnight)."
            )
        }
        if endMinutes < startMinutes { endMinutes += 1440 }
        return DailyRange(start: startMinutes, end: endMinutes)
    }

    /// `H:MM` or `HH:MM` as numbers, not yet checked against the clock.
    private static func clockShape(_ text: Substring) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              let hour = digits(parts[0]), let minute = digits(parts[1]) else { return nil }
        return (hour, minute)
    }

    /// ASCII digits only (no sign, no other scripts' digits) as a number.
    private static func digits(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else {
            return nil
        }
        return Int(text)
    }

    private static func checkLength(_ text: String, _ field: WidgetScheduleError.Field) throws(WidgetScheduleError) {
        let length = text.count
        if length > maxCharacters {
            throw WidgetScheduleError(field, " is \(length) characters long; expected at most \(maxCharacters).")
        }
    }

    /// The `;`-separated entries, trimmed, empty ones dropped.
    private static func entries(_ text: String) -> [String] {
        text.split(separator: ";", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// An entry's whitespace-separated words, after dropping whitespace next to `,` and `-`
    /// (`mon - fri 09:00 - 12:00, 13:00-17:00` is `mon-fri` and `09:00-12:00,13:00-17:00`).
    private static func tokens(_ entry: String) -> [String] {
        var compact = ""
        var pendingSpace = false
        for character in entry {
            if character.isWhitespace {
                pendingSpace = true
                continue
            }
            if pendingSpace, character != ",", character != "-", let last = compact.last, last != ",", last != "-" {
                compact.append(" ")
            }
            pendingSpace = false
            compact.append(character)
        }
        return compact.split(separator: " ").map(String.init)
    }
}

/// Proleptic Gregorian calendar dates as day numbers (days since 1970-01-01), after
/// Howard Hinnant's `days_from_civil`.
enum CivilDate {
    static func dayNumber(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The weekday of a day number, 0 = Monday (1970-01-01 was a Thursday).
    static func weekday(_ dayNumber: Int) -> Int {
        ((dayNumber + 3) % 7 + 7) % 7
    }
}
