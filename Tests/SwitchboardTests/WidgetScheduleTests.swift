// WidgetSchedule: the business-hours text formats, every refusal sentence, isOpen and nextChange
// over week wraps, overnight ranges, touching ranges, exceptions and daylight-saving changes.

import Foundation
@testable import Switchboard
import Testing

// MARK: helpers

private func schedule(_ hours: String, zone: String = "", exceptions: String = "") throws -> WidgetSchedule {
    try WidgetSchedule(hours: hours, timeZone: zone, exceptions: exceptions)
}

/// An instant from a UTC "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (independent of Foundation's parsing).
private func utc(_ text: String) -> Date {
    let halves = text.split(separator: " ")
    let date = halves[0].split(separator: "-").map { Int($0)! }
    let time = halves[1].split(separator: ":").map { Int($0)! }
    let day = CivilDate.dayNumber(year: date[0], month: date[1], day: date[2])
    let seconds = day * 86_400 + time[0] * 3600 + time[1] * 60 + (time.count > 2 ? time[2] : 0)
    return Date(timeIntervalSince1970: TimeInterval(seconds))
}

/// An instant from a wall-clock "YYYY-MM-DD HH:MM" in `zone`, through Foundation's Calendar;
/// only for wall times that happen exactly once (checked).
private func wall(_ text: String, _ zone: String) -> Date {
    let halves = text.split(separator: " ")
    let date = halves[0].split(separator: "-").map { Int($0)! }
    let time = halves[1].split(separator: ":").map { Int($0)! }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: zone)!
    let instant = calendar.date(from: DateComponents(year: date[0], month: date[1], day: date[2], hour: time[0], minute: time[1]))!
    let back = calendar.dateComponents([.hour, .minute], from: instant)
    precondition(back.hour == time[0] && back.minute == time[1], "\(text) does not exist in \(zone)")
    return instant
}

/// Expects `open` (true) or closed at each UTC instant.
private func expectStates(
    _ schedule: WidgetSchedule, _ states: [(String, Bool)], sourceLocation: SourceLocation = #_sourceLocation
) {
    for (time, open) in states {
        #expect(schedule.isOpen(at: utc(time)) == open, "at \(time) UTC", sourceLocation: sourceLocation)
    }
}

/// Expects the chain of changes from `start` (UTC) to be exactly `changes` (UTC).
private func expectChanges(
    _ schedule: WidgetSchedule, from start: String, _ changes: [String], sourceLocation: SourceLocation = #_sourceLocation
) {
    var instant = utc(start)
    for change in changes {
        let next = schedule.nextChange(after: instant)
        #expect(next == utc(change), "after \(instant): \(String(describing: next)), expected \(change) UTC", sourceLocation: sourceLocation)
        guard let next else { return }
        instant = next
    }
}

private func refusal(_ hours: String = "", zone: String = "", exceptions: String = "") -> WidgetScheduleError? {
    do {
        _ = try WidgetSchedule(hours: hours, timeZone: zone, exceptions: exceptions)
        return nil
    } catch {
        return error
    }
}

// MARK: parsing

@Suite("WidgetSchedule parsing")
struct WidgetScheduleParsingTests {
    @Test(arguments: [
        "mon-fri 09:00-17:00; sat 10:00-14:00",
        "mon,wed 09:00-12:00,13:00-17:30; sun closed",
        "fri 22:00-02:00",
        "fri-mon 10:00-18:00",
        "mon-sun 00:00-24:00",
        "Mon-Fri 9:00-17:00",
        "monday-friday 09:00-17:00; SATURDAY 10:00-14:00",
        "",
        "   ",
        "mon-fri 09:00-17:00;",
        "mon-wed,fri 09:00-17:00; thu 12:00-20:00",
    ])
    func acceptsHours(hours: String) throws {
        _ = try schedule(hours)
    }

    @Test func storesRangesByWeekday() throws {
        let parsed = try schedule("mon,wed 13:00-17:30,09:00-12:00; fri 22:00-02:00; sat 20:00-24:00; sun closed")
        #expect(parsed.weekly[0] == [DailyRange(start: 540, end: 720), DailyRange(start: 780, end: 1050)])
        #expect(parsed.weekly[1] == [])
        #expect(parsed.weekly[2] == parsed.weekly[0])
        #expect(parsed.weekly[4] == [DailyRange(start: 1320, end: 1560)])
        #expect(parsed.weekly[5] == [DailyRange(start: 1200, end: 1440)])
        #expect(parsed.weekly[6] == [])
        #expect(parsed.weekly[4][0].description == "22:00-02:00")
        #expect(parsed.weekly[5][0].description == "20:00-24:00")
    }

    @Test(arguments: [
        ("mon-fri 09:00-17:00", "mon,tue,wed,thu,fri 09:00-17:00"),
        ("MON-Fri 9:00-17:00", "mon-fri 09:00-17:00"),
        ("monday-friday 09:00-17:00", "mon-fri 09:00-17:00"),
        ("  mon - fri   09:00 - 12:00 ,  13:00-17:00 ;; ", "mon-fri 09:00-12:00,13:00-17:00"),
        ("mon\n09:00-10:00;\ttue 09:00-10:00", "mon-tue 09:00-10:00"),
        ("fri-mon 10:00-11:00", "mon,fri,sat,sun 10:00-11:00"),
        ("sun-tue 10:00-11:00", "mon,tue,sun 10:00-11:00"),
        ("sat-fri 10:00-11:00", "mon-sun 10:00-11:00"),
        ("mon-wed,fri 09:00-10:00", "mon,tue,wed,fri 09:00-10:00"),
        ("mon 13:00-17:00; mon 09:00-12:00", "mon 09:00-12:00,13:00-17:00"),
        ("mon 20:00-00:00", "mon 20:00-24:00"),
        ("sun closed; mon 09:00-10:00", "mon 09:00-10:00"),
        ("mon-sun closed", ""),
        ("  ;; ", ""),
        ("mon CLOSED; tue Closed", ""),
    ])
    func equivalentHours(first: String, second: String) throws {
        #expect(try schedule(first) == schedule(second))
    }

    @Test func differentHoursDiffer() throws {
        #expect(try schedule("mon 09:00-17:00") != schedule("mon 09:00-17:01"))
        #expect(try schedule("mon 09:00-17:00") != schedule("mon 09:00-17:00", zone: "Europe/Berlin"))
        #expect(try schedule("mon 09:00-17:00") != schedule("mon 09:00-17:00", exceptions: "2026-12-25 closed"))
    }

    @Test func timeZones() throws {
        #expect(try schedule("").timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)) == 0)
        #expect(try schedule("", zone: "Europe/Berlin").timeZone.identifier == "Europe/Berlin")
        #expect(try schedule("", zone: "europe/berlin").timeZone.identifier == "Europe/Berlin")
        #expect(try schedule("", zone: " America/New_York\n").timeZone.identifier == "America/New_York")
        #expect(try schedule("", zone: "AMERICA/NEW_YORK").timeZone.identifier == "America/New_York")
        #expect(try schedule("") == schedule("", zone: "UTC"))
        #expect(try schedule("") == schedule("", zone: "utc"))
        #expect(try schedule("") == schedule("", zone: "GMT"))
        #expect(try schedule("", zone: "Europe/Berlin") == schedule("", zone: "Europe/Berlin"))
    }

    @Test func exceptions() throws {
        let parsed = try schedule(
            "", exceptions: "2026-12-25 closed; 2026-12-24 09:00-12:00; 2026-12-31 15:00-16:00,10:00-14:00; 2028-02-29 closed;"
        )
        let christmas = CivilDate.dayNumber(year: 2026, month: 12, day: 25)
        #expect(parsed.exceptions.count == 4)
        #expect(parsed.exceptions[christmas] == [])
        #expect(parsed.exceptions[christmas - 1] == [DailyRange(start: 540, end: 720)])
        #expect(parsed.exceptions[christmas + 6] == [DailyRange(start: 600, end: 840), DailyRange(start: 900, end: 960)])
        #expect(try schedule("", exceptions: "2026-12-25 closed; 2026-12-24 09:00-12:00")
            == schedule("", exceptions: " 2026-12-24  09:00 - 12:00 ;2026-12-25 CLOSED"))
    }

    @Test func dayNumbersMatchFoundation() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        for (year, month, day) in [(1970, 1, 1), (2026, 3, 29), (2028, 2, 29), (2000, 3, 1), (1969, 12, 31), (2100, 3, 1)] {
            let date = calendar.date(from: DateComponents(year: year, month: month, day: day))!
            let number = CivilDate.dayNumber(year: year, month: month, day: day)
            #expect(Double(number * 86_400) == date.timeIntervalSince1970)
            // Foundation's weekday: 1 = Sunday … 7 = Saturday; ours: 0 = Monday … 6 = Sunday.
            #expect((CivilDate.weekday(number) + 1) % 7 + 1 == calendar.component(.weekday, from: date))
        }
    }

    @Test func limits() throws {
        // 7 × 9 + 1 = 64 ranges: accepted; one more is refused.
        let nine = (0..<9).map { String(format: "%02d:00-%02d:30", $0 * 2, $0 * 2) }.joined(separator: ",")
        _ = try schedule("mon-sun \(nine); mon 23:00-23:30")
        #expect(refusal("mon-sun \(nine); mon 23:00-23:30; tue 23:00-23:30")?.message
            == "Field 'widget_hours' has more than 64 ranges (counting each day of a day list or day range); expected at most 64.")

        var dates: [String] = []
        var (year, month, day) = (2027, 1, 1)
        while dates.count < 367 {
            dates.append(String(format: "%04d-%02d-%02d", year, month, day))
            day += 1
            if day > CivilDate.daysInMonth(year: year, month: month) { (month, day) = (month + 1, 1) }
            if month == 13 { (year, month) = (year + 1, 1) }
        }
        let accepted = try schedule("", exceptions: dates.prefix(366).map { "\($0) closed" }.joined(separator: "; "))
        #expect(accepted.exceptions.count == 366)
        #expect(refusal(exceptions: dates.map { "\($0) closed" }.joined(separator: "; "))?.message
            == "Field 'widget_exceptions' has more than 366 dates; expected at most 366.")

        let sixteen = (0..<16).map { String(format: "%02d:00-%02d:30", $0, $0) }.joined(separator: ",")
        _ = try schedule("", exceptions: "2026-12-24 \(sixteen)")
        #expect(refusal(exceptions: "2026-12-24 \(sixteen),20:00-21:00")?.message
            == "Field 'widget_exceptions': 2026-12-24 has 17 ranges; expected at most 16 per date.")

        _ = try schedule(String(repeating: " ", count: 16_384))
        #expect(refusal(String(repeating: " ", count: 16_385))?.message
            == "Field 'widget_hours' is 16385 characters long; expected at most 16384.")
        #expect(refusal(exceptions: String(repeating: ";", count: 20_000))?.message
            == "Field 'widget_exceptions' is 20000 characters long; expected at most 16384.")
    }
}

// MARK: refusals

@Suite("WidgetSchedule refusals")
struct WidgetScheduleRefusalTests {
    static let hourRefusals: [(String, String)] = [
        ("mon 9-17",
         "Field 'widget_hours': '9-17' in 'mon 9-17' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09:00-17",
         "Field 'widget_hours': '09:00-17' in 'mon 09:00-17' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09.00-17.00",
         "Field 'widget_hours': '09.00-17.00' in 'mon 09.00-17.00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09:00–17:00",
         "Field 'widget_hours': '09:00–17:00' in 'mon 09:00–17:00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 9:0-17:00",
         "Field 'widget_hours': '9:0-17:00' in 'mon 9:0-17:00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 009:00-17:00",
         "Field 'widget_hours': '009:00-17:00' in 'mon 009:00-17:00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon ٠٩:00-17:00",
         "Field 'widget_hours': '٠٩:00-17:00' in 'mon ٠٩:00-17:00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09:00-12:00,",
         "Field 'widget_hours': '' in 'mon 09:00-12:00,' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09:00-10:00,closed",
         "Field 'widget_hours': 'closed' in 'mon 09:00-10:00,closed' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mo 09:00-17:00",
         "Field 'widget_hours': 'mo' in 'mo 09:00-17:00' is not a day; expected mon, tue, wed, thu, fri, sat or sun."),
        ("mon-frx 09:00-17:00",
         "Field 'widget_hours': 'frx' in 'mon-frx 09:00-17:00' is not a day; expected mon, tue, wed, thu, fri, sat or sun."),
        ("09:00-17:00 mon",
         "Field 'widget_hours': '09:00' in '09:00-17:00 mon' is not a day; expected mon, tue, wed, thu, fri, sat or sun."),
        ("mon-tue-wed 09:00-10:00",
         "Field 'widget_hours': 'mon-tue-wed' in 'mon-tue-wed 09:00-10:00' is not a day or a day range; expected e.g. mon, mon-fri or mon,wed,fri."),
        ("mon- 09:00-10:00",
         "Field 'widget_hours': 'mon- 09:00-10:00' is not days followed by hours; expected e.g. mon-fri 09:00-17:00 or sun closed."),
        ("-mon 09:00-10:00",
         "Field 'widget_hours': '-mon' in '-mon 09:00-10:00' is not a day or a day range; expected e.g. mon, mon-fri or mon,wed,fri."),
        ("mon,,tue 09:00-10:00",
         "Field 'widget_hours': '' in 'mon,,tue 09:00-10:00' is not a day; expected mon, tue, wed, thu, fri, sat or sun."),
        ("mon",
         "Field 'widget_hours': 'mon' is not days followed by hours; expected e.g. mon-fri 09:00-17:00 or sun closed."),
        ("mon 09:00-12:00 13:00-17:00",
         "Field 'widget_hours': 'mon 09:00-12:00 13:00-17:00' is not days followed by hours; expected e.g. mon-fri 09:00-17:00 or sun closed."),
        ("mon-fri 09:00-17:00, sat 10:00-14:00",
         "Field 'widget_hours': 'mon-fri 09:00-17:00, sat 10:00-14:00' is not days followed by hours; expected e.g. mon-fri 09:00-17:00 or sun closed."),
        ("mon-mon 09:00-10:00",
         "Field 'widget_hours': 'mon-mon' in 'mon-mon 09:00-10:00' starts and ends on the same day; expected one day alone (mon) or a range of different days (mon-sun for the whole week)."),
        ("mon-fri,wed 09:00-10:00",
         "Field 'widget_hours': 'mon-fri,wed' in 'mon-fri,wed 09:00-10:00' names wed twice; expected each day at most once per entry."),
        ("mon 25:00-26:00",
         "Field 'widget_hours': '25:00' in 'mon 25:00-26:00' is not a time of day; expected 00:00 to 23:59, or 24:00 to end a range."),
        ("mon 09:60-10:00",
         "Field 'widget_hours': '09:60' in 'mon 09:60-10:00' is not a time of day; expected 00:00 to 23:59, or 24:00 to end a range."),
        ("mon 10:00-24:30",
         "Field 'widget_hours': '24:30' in 'mon 10:00-24:30' is not a time of day; expected 00:00 to 23:59, or 24:00 to end a range."),
        ("mon 24:00-02:00",
         "Field 'widget_hours': '24:00-02:00' in 'mon 24:00-02:00' starts at 24:00; expected a start from 00:00 to 23:59 (24:00 may only end a range)."),
        ("mon 09:00-09:00",
         "Field 'widget_hours': '09:00-09:00' in 'mon 09:00-09:00' is empty; expected an end different from the start (an end earlier than the start runs past midnight)."),
        ("mon-sun 00:00-00:00",
         "Field 'widget_hours': '00:00-00:00' in 'mon-sun 00:00-00:00' is empty; expected an end different from the start (an end earlier than the start runs past midnight)."),
        ("mon 09:00-12:00,11:00-13:00",
         "Field 'widget_hours': mon 09:00-12:00 overlaps mon 11:00-13:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("mon 09:00-17:00,10:00-11:00",
         "Field 'widget_hours': mon 09:00-17:00 overlaps mon 10:00-11:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("mon-fri 09:00-17:00; wed 16:00-18:00",
         "Field 'widget_hours': wed 09:00-17:00 overlaps wed 16:00-18:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("mon 09:00-17:00; mon 09:00-17:00",
         "Field 'widget_hours': mon 09:00-17:00 overlaps mon 09:00-17:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("fri 22:00-02:00; sat 01:00-05:00",
         "Field 'widget_hours': fri 22:00-02:00 overlaps sat 01:00-05:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("sun 22:00-02:00; mon 01:00-03:00",
         "Field 'widget_hours': mon 01:00-03:00 overlaps sun 22:00-02:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("mon 12:00-11:00; tue 10:00-12:00",
         "Field 'widget_hours': mon 12:00-11:00 overlaps tue 10:00-12:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
        ("mon closed; mon-fri 09:00-17:00",
         "Field 'widget_hours': mon is marked closed and also given hours; expected one or the other."),
        ("mon 09:00-1'7:00",
         "Field 'widget_hours': '09:00-1\\'7:00' in 'mon 09:00-1\\'7:00' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("mon 09:00-10:00\u{7}",
         "Field 'widget_hours': '09:00-10:00\\u{7}' in 'mon 09:00-10:00\\u{7}' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
    ]

    @Test(arguments: hourRefusals)
    func hours(text: String, message: String) {
        let error = refusal(text)
        #expect(error?.message == message)
        #expect(error?.field == .hours)
        #expect(error?.description == message)
    }

    static let exceptionRefusals: [(String, String)] = [
        ("12/25 closed",
         "Field 'widget_exceptions': '12/25' in '12/25 closed' is not a date; expected YYYY-MM-DD, e.g. 2026-12-25."),
        ("2026-12-5 closed",
         "Field 'widget_exceptions': '2026-12-5' in '2026-12-5 closed' is not a date; expected YYYY-MM-DD, e.g. 2026-12-25."),
        ("26-12-25 closed",
         "Field 'widget_exceptions': '26-12-25' in '26-12-25 closed' is not a date; expected YYYY-MM-DD, e.g. 2026-12-25."),
        ("mon closed",
         "Field 'widget_exceptions': 'mon' in 'mon closed' is not a date; expected YYYY-MM-DD, e.g. 2026-12-25."),
        ("2026-02-30 closed",
         "Field 'widget_exceptions': '2026-02-30' is not a real date; February 2026 has 28 days."),
        ("2028-02-30 closed",
         "Field 'widget_exceptions': '2028-02-30' is not a real date; February 2028 has 29 days."),
        ("2100-02-29 closed",
         "Field 'widget_exceptions': '2100-02-29' is not a real date; February 2100 has 28 days."),
        ("2026-04-31 closed",
         "Field 'widget_exceptions': '2026-04-31' is not a real date; April 2026 has 30 days."),
        ("2026-01-00 closed",
         "Field 'widget_exceptions': '2026-01-00' is not a real date; January 2026 has 31 days."),
        ("2026-13-01 closed",
         "Field 'widget_exceptions': '2026-13-01' is not a real date; expected a month from 01 to 12."),
        ("2026-00-10 closed",
         "Field 'widget_exceptions': '2026-00-10' is not a real date; expected a month from 01 to 12."),
        ("0000-01-01 closed",
         "Field 'widget_exceptions': '0000-01-01' is not a real date; expected a year from 0001 to 9999."),
        ("2026-12-25",
         "Field 'widget_exceptions': '2026-12-25' is not a date followed by hours; expected e.g. 2026-12-25 closed or 2026-12-24 09:00-12:00."),
        ("2026-12-25 closed; 2026-12-25 09:00-10:00",
         "Field 'widget_exceptions': '2026-12-25' appears twice; expected each date at most once."),
        ("2026-12-24 9-12",
         "Field 'widget_exceptions': '9-12' in '2026-12-24 9-12' is not a time range; expected HH:MM-HH:MM, e.g. 09:00-17:00."),
        ("2026-12-24 09:00-09:00",
         "Field 'widget_exceptions': '09:00-09:00' in '2026-12-24 09:00-09:00' is empty; expected an end different from the start (an end earlier than the start runs past midnight)."),
        ("2026-12-24 09:00-25:00",
         "Field 'widget_exceptions': '25:00' in '2026-12-24 09:00-25:00' is not a time of day; expected 00:00 to 23:59, or 24:00 to end a range."),
        ("2026-12-24 11:00-13:00,09:00-12:00",
         "Field 'widget_exceptions': on 2026-12-24, 09:00-12:00 overlaps 11:00-13:00; expected ranges that do not overlap (touching, as in 09:00-12:00 and 12:00-13:00, is fine)."),
    ]

    @Test(arguments: exceptionRefusals)
    func exceptions(text: String, message: String) {
        let error = refusal(exceptions: text)
        #expect(error?.message == message)
        #expect(error?.field == .exceptions)
    }

    @Test(arguments: ["Europe/Berln", "Mars/Olympus", "+02:00", "local", String(repeating: "x", count: 200)])
    func timeZone(name: String) {
        let error = refusal(zone: name)
        #expect(error?.field == .timeZone)
        let shown = name.count > 80 ? String(name.prefix(80)) + "…" : name
        #expect(error?.message == "Field 'widget_timezone': '\(shown)' is not a known time zone; "
            + "expected an IANA name such as Europe/Berlin, America/New_York or UTC.")
    }

    @Test func fieldsAreCheckedInOrder() {
        #expect(refusal("mon 9-17", zone: "Nowhere", exceptions: "2026-02-30 closed")?.field == .hours)
        #expect(refusal("mon 09:00-17:00", zone: "Nowhere", exceptions: "2026-02-30 closed")?.field == .timeZone)
        #expect(refusal("mon 09:00-17:00", zone: "UTC", exceptions: "2026-02-30 closed")?.field == .exceptions)
    }

    /// Every sentence: one line, starts with the field, ends with a period.
    @Test func sentencesAreOneLine() {
        let all = Self.hourRefusals.map { refusal($0.0) } + Self.exceptionRefusals.map { refusal(exceptions: $0.0) }
            + [refusal(zone: "Nowhere\nElse")]
        for error in all {
            let message = error?.message ?? ""
            #expect(message.hasPrefix("Field 'widget_"), "\(message)")
            #expect(message.hasSuffix("."), "\(message)")
            #expect(!message.contains("\n"), "\(message)")
        }
    }
}

// MARK: isOpen and nextChange

@Suite("WidgetSchedule open and changes")
struct WidgetScheduleTimeTests {
    // 2026-01-05 is a Monday; 2026-01-10 a Saturday, 2026-01-11 a Sunday.

    @Test func weekdaysAndSaturday() throws {
        let hours = try schedule("mon-fri 09:00-17:00; sat 10:00-14:00")
        expectStates(hours, [
            ("2026-01-05 08:59:59", false), ("2026-01-05 09:00", true), ("2026-01-05 12:00", true),
            ("2026-01-05 16:59:59", true), ("2026-01-05 17:00", false), ("2026-01-05 23:59", false),
            ("2026-01-09 16:00", true), ("2026-01-09 18:00", false),
            ("2026-01-10 09:59", false), ("2026-01-10 10:00", true), ("2026-01-10 14:00", false),
            ("2026-01-11 12:00", false), ("2026-01-12 09:30", true),
        ])
        expectChanges(hours, from: "2026-01-05 08:00", [
            "2026-01-05 09:00", "2026-01-05 17:00", "2026-01-06 09:00", "2026-01-06 17:00",
        ])
        // Friday evening → Saturday → Monday (the week wraps from Sunday to Monday).
        expectChanges(hours, from: "2026-01-09 16:00", [
            "2026-01-09 17:00", "2026-01-10 10:00", "2026-01-10 14:00", "2026-01-12 09:00",
        ])
        // Strictly after: from a boundary, the next one.
        #expect(hours.nextChange(after: utc("2026-01-05 09:00")) == utc("2026-01-05 17:00"))
        #expect(hours.nextChange(after: utc("2026-01-05 16:59:59")) == utc("2026-01-05 17:00"))
        // Fractions of a second.
        #expect(hours.nextChange(after: utc("2026-01-05 08:59:59").addingTimeInterval(0.999)) == utc("2026-01-05 09:00"))
        #expect(hours.isOpen(at: utc("2026-01-05 09:00").addingTimeInterval(-0.001)) == false)
        #expect(hours.isOpen(at: utc("2026-01-05 17:00").addingTimeInterval(-0.001)) == true)
    }

    @Test func weekWrap() throws {
        let saturdays = try schedule("sat 10:00-14:00")
        expectChanges(saturdays, from: "2026-01-10 14:00", ["2026-01-17 10:00", "2026-01-17 14:00", "2026-01-24 10:00"])
        let sundayNight = try schedule("sun 22:00-02:00")
        expectStates(sundayNight, [
            ("2026-01-11 21:59", false), ("2026-01-11 22:00", true), ("2026-01-12 01:59", true), ("2026-01-12 02:00", false),
            ("2026-01-05 01:00", true), // the Monday after the previous Sunday
        ])
        expectChanges(sundayNight, from: "2026-01-07 12:00", ["2026-01-11 22:00", "2026-01-12 02:00", "2026-01-18 22:00"])
        let wrapRange = try schedule("fri-mon 10:00-11:00")
        expectStates(wrapRange, [
            ("2026-01-09 10:30", true), ("2026-01-10 10:30", true), ("2026-01-11 10:30", true), ("2026-01-12 10:30", true),
            ("2026-01-13 10:30", false), ("2026-01-14 10:30", false), ("2026-01-15 10:30", false),
        ])
        expectChanges(wrapRange, from: "2026-01-12 10:30", ["2026-01-12 11:00", "2026-01-16 10:00"])
    }

    @Test func overnight() throws {
        let late = try schedule("fri 22:00-02:00; sat 20:00-00:00")
        expectStates(late, [
            ("2026-01-09 21:59", false), ("2026-01-09 22:00", true), ("2026-01-10 00:00", true),
            ("2026-01-10 01:59", true), ("2026-01-10 02:00", false), ("2026-01-10 19:59", false),
            ("2026-01-10 23:59", true), ("2026-01-11 00:00", false),
        ])
        expectChanges(late, from: "2026-01-09 12:00", [
            "2026-01-09 22:00", "2026-01-10 02:00", "2026-01-10 20:00", "2026-01-11 00:00", "2026-01-16 22:00",
        ])
    }

    @Test func touchingRangesAreOneOpening() throws {
        let split = try schedule("mon 09:00-12:00,12:00-13:00")
        expectChanges(split, from: "2026-01-05 08:00", ["2026-01-05 09:00", "2026-01-05 13:00", "2026-01-12 09:00"])
        #expect(split.isOpen(at: utc("2026-01-05 12:00")))

        let acrossMidnight = try schedule("mon 22:00-24:00; tue 00:00-02:00")
        expectChanges(acrossMidnight, from: "2026-01-05 20:00", ["2026-01-05 22:00", "2026-01-06 02:00"])
        #expect(acrossMidnight.isOpen(at: utc("2026-01-06 00:00")))

        let overnightThenDay = try schedule("mon 22:00-02:00; tue 02:00-05:00, 05:00-06:00")
        expectChanges(overnightThenDay, from: "2026-01-05 23:00", ["2026-01-06 06:00", "2026-01-12 22:00"])

        let nightShifts = try schedule("mon-sun 18:00-06:00; mon-sun 06:00-09:00")
        expectChanges(nightShifts, from: "2026-01-05 12:00", ["2026-01-05 18:00", "2026-01-06 09:00", "2026-01-06 18:00"])

        // Sunday's range ends where Monday's starts: no change at Monday 00:00.
        let weekend = try schedule("sat-sun 00:00-24:00; mon 00:00-08:00")
        expectChanges(weekend, from: "2026-01-09 12:00", ["2026-01-10 00:00", "2026-01-12 08:00", "2026-01-17 00:00"])
    }

    @Test(arguments: ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])
    func alwaysOpen(zone: String) throws {
        // Around the clock, also as ranges that touch at noon, at midnight or past midnight.
        for hours in [
            "mon-sun 00:00-24:00", "mon-sun 00:00-12:00,12:00-24:00", "mon-sun 12:00-06:00,06:00-12:00",
            "mon-sun 20:00-00:00,00:00-20:00", "mon 00:00-24:00; tue-sat 00:00-24:00; sun 00:00-24:00",
        ] {
            let open = try schedule(hours, zone: zone)
            for start in [
                "2026-03-08 06:30", "2026-03-29 00:30", "2026-04-05 00:00", "2026-10-04 00:00",
                "2026-10-25 00:30", "2026-11-01 05:30", "2026-06-01 12:00",
            ] {
                #expect(open.isOpen(at: utc(start)), "\(hours) at \(start)")
                #expect(open.nextChange(after: utc(start)) == nil, "\(hours) from \(start)")
            }
        }
    }

    @Test func alwaysClosed() throws {
        for hours in ["", "mon-sun closed", "sun closed"] {
            let closed = try schedule(hours, zone: "Europe/Berlin")
            for start in ["2026-01-05 12:00", "2026-03-29 01:00", "2026-10-25 01:30"] {
                #expect(!closed.isOpen(at: utc(start)))
                #expect(closed.nextChange(after: utc(start)) == nil)
            }
        }
        // Always closed but for a dated opening: found within the horizon, not beyond it.
        let once = try schedule("", exceptions: "2027-01-20 10:00-11:00")
        expectChanges(once, from: "2026-01-05 12:00", ["2027-01-20 10:00", "2027-01-20 11:00"])
        #expect(once.nextChange(after: utc("2027-01-20 11:00")) == nil)
        #expect(once.nextChange(after: utc("2025-12-01 00:00")) == nil) // 415 days ahead: beyond the horizon
        #expect(once.isOpen(at: utc("2027-01-20 10:30")))
    }

    @Test func openBeyondTheHorizon() throws {
        // Open from now until a closed date 600 days later: no change within the horizon.
        let open = try schedule("mon-sun 00:00-24:00", exceptions: "2027-08-01 closed")
        #expect(open.nextChange(after: utc("2026-01-05 12:00")) == nil)
        #expect(open.nextChange(after: utc("2027-07-01 12:00")) == utc("2027-08-01 00:00"))
    }

    @Test func holidays() throws {
        // 2026-12-24 is a Thursday, 12-25 a Friday, 12-31 a Thursday.
        let office = try schedule(
            "mon-fri 09:00-17:00",
            exceptions: "2026-12-25 closed; 2026-12-24 09:00-12:00; 2026-12-27 10:00-14:00; 2026-12-31 10:00-14:00,15:00-16:00"
        )
        expectStates(office, [
            ("2026-12-23 16:00", true), ("2026-12-24 11:59", true), ("2026-12-24 12:00", false),
            ("2026-12-24 16:00", false), ("2026-12-25 12:00", false), ("2026-12-27 11:00", true),
            ("2026-12-28 09:00", true), ("2026-12-31 09:30", false), ("2026-12-31 14:30", false),
            ("2026-12-31 15:30", true), ("2027-01-01 12:00", true), ("2027-12-24 16:00", true),
        ])
        expectChanges(office, from: "2026-12-23 12:00", [
            "2026-12-23 17:00", "2026-12-24 09:00", "2026-12-24 12:00", "2026-12-27 10:00", "2026-12-27 14:00",
            "2026-12-28 09:00", "2026-12-28 17:00",
        ])
        expectChanges(office, from: "2026-12-30 17:00", [
            "2026-12-31 10:00", "2026-12-31 14:00", "2026-12-31 15:00", "2026-12-31 16:00", "2027-01-01 09:00",
        ])
    }

    @Test func exceptionDatesAreInTheScheduleZone() throws {
        let berlin = try schedule("mon-sun 00:00-24:00", zone: "Europe/Berlin", exceptions: "2026-12-25 closed")
        // Berlin is UTC+1 in December: 12-25 runs from 12-24 23:00 to 12-25 23:00 UTC.
        expectStates(berlin, [
            ("2026-12-24 22:59", true), ("2026-12-24 23:00", false), ("2026-12-25 22:59", false), ("2026-12-25 23:00", true),
        ])
        expectChanges(berlin, from: "2026-12-20 00:00", ["2026-12-24 23:00", "2026-12-25 23:00"])
        #expect(berlin.nextChange(after: utc("2026-12-25 23:00")) == nil)
    }

    @Test func exceptionsCutOvernightRanges() throws {
        // A Thursday night range stops at the start of a dated exception; the exception's own
        // overnight range runs into the next (ordinary) date.
        let nights = try schedule(
            "mon-sun 22:00-02:00",
            exceptions: "2026-12-25 closed; 2026-12-31 20:00-03:00; 2027-01-02 00:00-01:00"
        )
        expectStates(nights, [
            ("2026-12-24 23:00", true), ("2026-12-25 00:00", false), ("2026-12-25 01:00", false),
            ("2026-12-25 23:00", false), ("2026-12-26 01:00", false), ("2026-12-26 22:30", true),
            ("2026-12-31 21:00", true), ("2027-01-01 02:30", true), ("2027-01-01 03:00", false),
            ("2027-01-01 23:00", true), ("2027-01-02 00:30", true), ("2027-01-02 01:30", false),
            ("2027-01-02 22:30", false), ("2027-01-03 22:30", true), // 01-02's own weekly range is replaced
        ])
        expectChanges(nights, from: "2026-12-24 12:00", [
            "2026-12-24 22:00", "2026-12-25 00:00", "2026-12-26 22:00", "2026-12-27 02:00",
        ])
        expectChanges(nights, from: "2026-12-31 12:00", [
            "2026-12-31 20:00", "2027-01-01 03:00", "2027-01-01 22:00", "2027-01-02 01:00", "2027-01-03 22:00",
        ])
    }

    // MARK: daylight saving time

    @Test func berlinSpringForward() throws {
        // 2026-03-29 (a Sunday): 02:00 CET (01:00 UTC) jumps to 03:00 CEST.
        let zone = "Europe/Berlin"
        let morning = try schedule("sun 01:00-05:00", zone: zone)
        expectChanges(morning, from: "2026-03-28 12:00", ["2026-03-29 00:00", "2026-03-29 03:00"]) // 3 real hours
        expectChanges(morning, from: "2026-03-21 12:00", ["2026-03-22 00:00", "2026-03-22 04:00"]) // 4 the week before

        let inGap = try schedule("sun 02:30-04:00", zone: zone)
        expectChanges(inGap, from: "2026-03-28 12:00", ["2026-03-29 01:00", "2026-03-29 02:00"]) // opens at 03:00 CEST
        let endsInGap = try schedule("sun 01:00-02:30", zone: zone)
        expectChanges(endsInGap, from: "2026-03-28 12:00", ["2026-03-29 00:00", "2026-03-29 01:00"])
        let overnightIntoGap = try schedule("sat 22:00-02:30", zone: zone)
        expectChanges(overnightIntoGap, from: "2026-03-28 12:00", ["2026-03-28 21:00", "2026-03-29 01:00"])
        let acrossGap = try schedule("sat 22:00-06:00", zone: zone)
        expectChanges(acrossGap, from: "2026-03-28 12:00", ["2026-03-28 21:00", "2026-03-29 04:00"]) // 7 real hours

        // The skipped hour is never open on that day, but on the other Sundays.
        let skipped = try schedule("sun 02:00-03:00", zone: zone)
        #expect(skipped.nextChange(after: utc("2026-03-28 12:00")) == utc("2026-04-05 00:00"))
        expectChanges(skipped, from: "2026-03-21 12:00", ["2026-03-22 01:00", "2026-03-22 02:00", "2026-04-05 00:00"])
        // Touching ranges across the gap do not flip.
        let touching = try schedule("sun 01:00-02:30,02:30-04:00", zone: zone)
        expectChanges(touching, from: "2026-03-28 12:00", ["2026-03-29 00:00", "2026-03-29 02:00"])
        #expect(touching.isOpen(at: utc("2026-03-29 01:00")))

        expectStates(morning, [
            ("2026-03-28 23:59", false), ("2026-03-29 00:00", true), ("2026-03-29 00:59", true),
            ("2026-03-29 01:00", true), ("2026-03-29 02:59", true), ("2026-03-29 03:00", false),
        ])
    }

    @Test func berlinFallBack() throws {
        // 2026-10-25 (a Sunday): 03:00 CEST (01:00 UTC) goes back to 02:00 CET; 02:00-03:00 happens twice.
        let zone = "Europe/Berlin"
        let morning = try schedule("sun 01:00-05:00", zone: zone)
        expectChanges(morning, from: "2026-10-24 12:00", ["2026-10-24 23:00", "2026-10-25 04:00"]) // 5 real hours

        let ambiguousStart = try schedule("sun 02:30-04:00", zone: zone)
        expectChanges(ambiguousStart, from: "2026-10-24 12:00", ["2026-10-25 00:30", "2026-10-25 03:00"]) // first 02:30
        let ambiguousEnd = try schedule("sun 00:00-02:30", zone: zone)
        expectChanges(ambiguousEnd, from: "2026-10-24 12:00", ["2026-10-24 22:00", "2026-10-25 00:30"])
        expectStates(ambiguousEnd, [("2026-10-25 00:29", true), ("2026-10-25 00:30", false), ("2026-10-25 01:15", false)]) // second 02:15
        let repeatedHour = try schedule("sun 02:00-03:00", zone: zone)
        // From the first 02:00 CEST (00:00 UTC) to 03:00 CET (02:00 UTC): both 02:xx hours.
        expectChanges(repeatedHour, from: "2026-10-24 12:00", ["2026-10-25 00:00", "2026-10-25 02:00"])
        let overnight = try schedule("sat 22:00-06:00", zone: zone)
        expectChanges(overnight, from: "2026-10-24 12:00", ["2026-10-24 20:00", "2026-10-25 05:00"]) // 9 real hours
    }

    @Test func newYorkSpringForward() throws {
        // 2026-03-08 (a Sunday): 02:00 EST (07:00 UTC) jumps to 03:00 EDT.
        let zone = "America/New_York"
        let morning = try schedule("sun 01:00-05:00", zone: zone)
        expectChanges(morning, from: "2026-03-07 12:00", ["2026-03-08 06:00", "2026-03-08 09:00"]) // 3 real hours
        let inGap = try schedule("sun 02:30-08:00", zone: zone)
        expectChanges(inGap, from: "2026-03-07 12:00", ["2026-03-08 07:00", "2026-03-08 12:00"])
        let weekdays = try schedule("mon-fri 09:00-17:00", zone: zone)
        // Friday before: EST (UTC-5); Monday after: EDT (UTC-4).
        expectChanges(weekdays, from: "2026-03-06 16:00", ["2026-03-06 22:00", "2026-03-09 13:00", "2026-03-09 21:00"])
    }

    @Test func newYorkFallBack() throws {
        // 2026-11-01 (a Sunday): 02:00 EDT (06:00 UTC) goes back to 01:00 EST; 01:00-02:00 happens twice.
        let zone = "America/New_York"
        let morning = try schedule("sun 01:00-05:00", zone: zone)
        expectChanges(morning, from: "2026-10-31 12:00", ["2026-11-01 05:00", "2026-11-01 10:00"]) // 5 real hours
        let ambiguous = try schedule("sun 01:30-03:00", zone: zone)
        expectChanges(ambiguous, from: "2026-10-31 12:00", ["2026-11-01 05:30", "2026-11-01 08:00"]) // first 01:30 EDT
        let overnight = try schedule("sat 20:00-01:30", zone: zone)
        expectChanges(overnight, from: "2026-10-31 12:00", ["2026-11-01 00:00", "2026-11-01 05:30"])
        expectStates(overnight, [("2026-11-01 05:29", true), ("2026-11-01 06:45", false)]) // second 01:45 is closed
        let weekdays = try schedule("mon-fri 09:00-17:00", zone: zone)
        expectChanges(weekdays, from: "2026-10-30 16:00", ["2026-10-30 21:00", "2026-11-02 14:00", "2026-11-02 22:00"])
    }

    /// Zones whose change is at midnight: the day starts at 01:00 (Havana in March) or the
    /// midnight happens twice (Santiago in April).
    @Test func changesAtMidnight() throws {
        // America/Havana: 2026-03-08 00:00 CST (05:00 UTC) jumps to 01:00 CDT.
        let havana = try schedule("sat 20:00-00:00; sun 00:00-02:00", zone: "America/Havana")
        expectChanges(havana, from: "2026-03-07 12:00", ["2026-03-08 01:00", "2026-03-08 06:00"])
        #expect(havana.isOpen(at: utc("2026-03-08 05:00")))
        // America/Santiago: 2026-04-05 00:00 -03 (03:00 UTC) goes back to 2026-04-04 23:00 -04.
        let santiago = try schedule("sat 22:00-24:00; sun 00:00-01:00", zone: "America/Santiago")
        expectChanges(santiago, from: "2026-04-04 12:00", ["2026-04-05 01:00", "2026-04-05 05:00"])
        #expect(santiago.isOpen(at: utc("2026-04-05 03:30"))) // the second 23:30 of Saturday
    }

    /// Boundaries at wall times that happen exactly once agree with Foundation's Calendar.
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo"])
    func agreesWithCalendar(zone: String) throws {
        let daily = try schedule("mon-sun 09:00-17:30", zone: zone)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        var day = calendar.date(from: DateComponents(year: 2026, month: 1, day: 1))!
        for _ in 0..<366 {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let open = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: 9))!
            let close = calendar.date(from: DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: 17, minute: 30))!
            #expect(daily.nextChange(after: open.addingTimeInterval(-3600)) == open)
            #expect(daily.nextChange(after: open) == close)
            #expect(daily.isOpen(at: open) && !daily.isOpen(at: close))
            day = calendar.date(byAdding: .day, value: 1, to: day)!
        }
        #expect(daily.nextChange(after: wall("2026-07-01 18:00", zone)) == wall("2026-07-02 09:00", zone))
    }

    /// Walking nextChange through a DST year: the state flips at every change and nowhere between.
    @Test(arguments: ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
    func changesAreRealFlips(zone: String) throws {
        let schedules = [
            try schedule("mon-fri 09:00-12:00,12:00-17:00; sat 22:00-02:00; sun 03:00-04:00,02:00-03:00", zone: zone),
            try schedule("mon-sun 01:30-02:30; wed 23:00-24:00; thu 00:00-01:30", zone: zone,
                         exceptions: "2026-03-29 closed; 2026-11-01 00:00-24:00; 2026-10-04 02:00-02:01"),
        ]
        for hours in schedules {
            var instant = utc("2026-01-01 00:00")
            var open = hours.isOpen(at: instant)
            var steps = 0
            while instant < utc("2027-01-01 00:00"), let next = hours.nextChange(after: instant) {
                #expect(next > instant)
                // Unchanged until the change (probed at a few points), flipped at it.
                for fraction in [0.001, 0.25, 0.5, 0.75, 0.999] {
                    let probe = instant.addingTimeInterval(next.timeIntervalSince(instant) * fraction)
                    #expect(hours.isOpen(at: probe) == open, "\(zone) at \(probe)")
                }
                #expect(hours.isOpen(at: next) != open, "\(zone) at \(next)")
                open = hours.isOpen(at: next)
                instant = next
                steps += 1
            }
            #expect(steps > 300)
        }
    }

    @Test func farInstants() throws {
        let hours = try schedule("mon-fri 09:00-17:00", zone: "Europe/Berlin")
        #expect(hours.nextChange(after: .distantPast) != nil)
        #expect(hours.nextChange(after: .distantFuture) != nil)
        #expect(hours.nextChange(after: Date(timeIntervalSince1970: 1e15)) == nil)
        #expect(hours.nextChange(after: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(!hours.isOpen(at: Date(timeIntervalSince1970: .nan)))
        // Berlin was UTC+1 in 1969: Wednesday 17:00 is 16:00 UTC.
        expectChanges(hours, from: "1969-12-31 12:00", ["1969-12-31 16:00", "1970-01-01 08:00"])
    }

    /// Searches that span the whole 400-day horizon find the one change in it, or none. How
    /// fast they are is measured by switchboard-bench (`--only idle`), not here.
    @Test func searchesOverTheWholeHorizon() throws {
        let sparse = try schedule("", zone: "Europe/Berlin", exceptions: "2027-01-20 10:00-11:00")
        let always = try schedule("mon-sun 00:00-24:00", zone: "America/New_York")
        let busy = try schedule("mon-sun 00:00-01:00,02:00-03:00,04:00-05:00,06:00-07:00", zone: "Europe/Berlin")
        for offset in 0..<20 {
            let start = utc("2026-01-05 12:00").addingTimeInterval(Double(offset) * 3600)
            #expect(sparse.nextChange(after: start) == utc("2027-01-20 09:00"))
            #expect(always.nextChange(after: start) == nil)
            #expect(busy.nextChange(after: start) != nil)
        }
    }
}
