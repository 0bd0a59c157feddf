// WidgetSchedule: when a workspace's chat widget is open, from its business hours, time zone and
// dated exceptions. Pure and clock-independent: every answer is about an instant the caller gives.

import Foundation

/// A chat widget's business hours: weekly opening ranges in a time zone, with dated exceptions.
///
/// It is made of three `workspace.settings` text fields, typed by a person (e.g. in `redis-cli`):
///
/// **`widget_hours`**: the weekly opening hours, entries separated by `;`:
///
///     mon-fri 09:00-17:00; sat 10:00-14:00
///     mon,wed 09:00-12:00,13:00-17:30; sun closed
///     fri 22:00-02:00
///
/// - An entry is days, a space, then hours. Days are `mon tue wed thu fri sat sun` (or the
///   full English names), in any case: one day, a comma list (`mon,wed,fri`), a range
///   (`mon-fri`; `fri-mon` wraps to fri, sat, sun, mon), or a comma list of both (`mon-wed,fri`).
/// - Hours are `closed` or one or more ranges separated by commas. A range is `HH:MM-HH:MM`
///   on a 24-hour clock (`9:00` is also fine); the end may be `24:00`. An end earlier than the
///   start runs past midnight into the next day (`22:00-02:00`; `20:00-00:00` is `20:00-24:00`).
/// - A day may appear in several entries (`mon-fri 09:00-17:00; mon 18:00-20:00`). Ranges must
///   not overlap, counting a range past midnight on the next day (and Sunday's on Monday);
///   touching is fine and is one opening (`09:00-12:00,12:00-13:00` opens 09:00 to 13:00).
/// - Days not mentioned, or marked `closed`, are closed; an empty setting is always closed.
/// - Spaces around `,` and `-` are ignored; empty entries (a trailing `;`) are ignored.
/// - At most 64 ranges, counting each day of a list or range (`mon-fri 09:00-17:00` is 5).
///
/// **`widget_timezone`**: an IANA time zone name known to Foundation (`Europe/Berlin`,
/// `America/New_York`), matched regardless of case; empty means `UTC`. All times above are wall
/// clock times in this zone.
///
/// **`widget_exceptions`**: dated overrides, entries separated by `;`:
///
///     2026-12-25 closed; 2026-12-24 09:00-12:00; 2026-12-31 10:00-14:00,15:00-16:00
///
/// - An entry is a `YYYY-MM-DD` date in the schedule's time zone, a space, then hours as above.
/// - On that date, from its 00:00 to its 24:00, the widget is open exactly during the
///   exception's ranges: the date's weekly ranges do not apply, and a weekly range of the day
///   before that runs past midnight stops at the date's 00:00. A range of the exception that
///   runs past midnight continues into the next date (unless that date is an exception too).
/// - Each date at most once; at most 366 dates and 16 ranges per date.
///
/// Each field is at most 16,384 characters. A bad field throws a ``WidgetScheduleError`` whose
/// message names the field and the bad part and says what is expected.
///
/// **Daylight saving time.** A range boundary is the instant its wall-clock time happens on its
/// date. A wall time skipped by a spring-forward change (02:30 in Berlin on 2026-03-29) takes
/// effect at the first instant after the gap (03:00 local); a wall time repeated by a fall-back
/// change (02:30 in Berlin on 2026-10-25) takes effect at its first occurrence. So `01:00-05:00`
/// is open 3 real hours on a spring-forward day and 5 on a fall-back day, and `02:00-03:00`
/// is never open on a day that skips that hour.
public struct WidgetSchedule: Sendable, Equatable {
    /// The zone whose wall clock the hours and dates are in.
    public let timeZone: TimeZone
    /// Weekly ranges by weekday, index 0 = Monday, each sorted by start.
    let weekly: [[DailyRange]]
    /// Dated ranges by day number (days since 1970-01-01 in the schedule's calendar);
    /// a closed date maps to `[]`.
    let exceptions: [Int: [DailyRange]]

    /// How far ``nextChange(after:)`` looks ahead, in days.
    public static let searchHorizonDays = 400

    /// Parses the three settings (see the type's documentation for the format). Each field is
    /// checked on its own, so `init(hours: text, timeZone: "", exceptions: "")` validates `text`.
    public init(hours: String, timeZone: String, exceptions: String) throws(WidgetScheduleError) {
        self.weekly = try WidgetScheduleParser.hours(hours)
        self.timeZone = try WidgetScheduleParser.timeZone(timeZone)
        self.exceptions = try WidgetScheduleParser.exceptions(exceptions)
    }

    /// Whether the widget is open at `instant`.
    public func isOpen(at instant: Date) -> Bool {
        guard let time = Self.seconds(instant) else { return false }
        let today = localDay(containing: time)
        for day in (today - 2)...(today + 1) {
            for interval in intervals(on: day) where Double(interval.start) <= time && time < Double(interval.end) {
                return true
            }
        }
        return false
    }

    /// The first instant strictly after `instant` at which ``isOpen(at:)`` changes, or `nil` if
    /// it does not change within about ``searchHorizonDays`` days (an always closed or always
    /// open schedule, or a change further away). Touching ranges are one opening: only instants
    /// where the state really flips are returned. Works day by day over range boundaries.
    public func nextChange(after instant: Date) -> Date? {
        guard let time = Self.seconds(instant) else { return nil }
        let today = localDay(containing: time)
        let lastDay = today + Self.searchHorizonDays
        // Openings merged in order of start; starts never decrease from one day to the next.
        var opening: Interval?
        for day in (today - 2)...lastDay {
            for interval in intervals(on: day) {
                if let current = opening, interval.start <= current.end {
                    opening = Interval(start: current.start, end: max(current.end, interval.end))
                    continue
                }
                // `opening`, if any, is final: closed from its end to this interval's start.
                if let current = opening, Double(current.start) <= time, time < Double(current.end) {
                    return Self.date(current.end)
                }
                if time < Double(interval.start) { return Self.date(interval.start) }
                opening = interval
            }
        }
        // The last opening is final if it ends before the first day not looked at can start.
        if let current = opening, Double(current.start) <= time, time < Double(current.end),
           current.end < self.instant(day: lastDay + 1, minute: 0) {
            return Self.date(current.end)
        }
        return nil
    }

    // MARK: instants

    /// Whole seconds since 1970, as `Int`, for the boundaries of ranges.
    struct Interval: Equatable {
        let start: Int
        let end: Int
    }

    /// The opening intervals of ranges that start on `day`, non-empty, in order of start.
    func intervals(on day: Int) -> [Interval] {
        let ranges = exceptions[day] ?? weekly[CivilDate.weekday(day)]
        if ranges.isEmpty { return [] }
        let nextIsException = exceptions[day + 1] != nil
        var result: [Interval] = []
        result.reserveCapacity(ranges.count)
        for range in ranges {
            let start = instant(day: day, minute: range.start)
            let end = instant(day: day, minute: nextIsException ? min(range.end, 1440) : range.end)
            if start < end { result.append(Interval(start: start, end: end)) }
        }
        return result
    }

    /// The instant (seconds since 1970) at which the wall clock of the schedule's zone shows
    /// `minute` minutes after the midnight of `day` (may exceed 1440: the next day). A skipped
    /// wall time resolves to the first instant after the gap, a repeated one to its first
    /// occurrence.
    func instant(day: Int, minute: Int) -> Int {
        let local = day * 86_400 + minute * 60
        // Offsets in force around that wall time: a day before, at, and a day after (every
        // offset is within ±24 hours, so these bracket every instant showing `local`).
        let before = offset(at: local - 86_400)
        let after = offset(at: local + 86_400)
        if before == after {
            // No change nearby (unless two cancel out within two days): the usual case.
            let middle = offset(at: local - before)
            if middle == before { return local - before }
        }
        let guess = offset(at: local - offset(at: local))
        var best: Int?
        var lowest = Int.max, highest = Int.min
        for candidate in [before, after, guess, offset(at: local)] {
            lowest = Swift.min(lowest, candidate)
            highest = Swift.max(highest, candidate)
            let time = local - candidate
            if offset(at: time) == candidate, best.map({ time < $0 }) ?? true { best = time }
        }
        if let best { return best }
        // A gap: the wall clock jumps over `local`. The change is the first instant whose wall
        // clock is past `local`, between `local - highest` (before it) and `local - lowest`.
        var low = local - highest, high = local - lowest
        while low < high {
            let middle = low + (high - low) / 2
            if middle + offset(at: middle) > local { high = middle } else { low = middle + 1 }
        }
        return high
    }

    /// The day number of the wall-clock date at `time`.
    func localDay(containing time: Double) -> Int {
        let whole = Int(time.rounded(.down))
        let local = whole + offset(at: whole)
        return local >= 0 ? local / 86_400 : -((-local - 1) / 86_400) - 1
    }

    private func offset(at seconds: Int) -> Int {
        timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Instants this far from 1970 (about 35,000 years) or further are never open and never change.
    private static let limit = Double(1 << 40)

    private static func seconds(_ date: Date) -> Double? {
        let time = date.timeIntervalSince1970
        return time.isFinite && abs(time) < limit ? time : nil
    }

    private static func date(_ seconds: Int) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
