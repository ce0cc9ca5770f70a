import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

/// Timestamp parsing against values computed independently by Python's
/// `datetime` (in the comments) and by Foundation's Gregorian calendar.
struct TimestampTests {
  struct Case: Sendable, CustomTestStringConvertible {
    let text: String
    let format: TimestampFormat
    let micros: Int64
    var testDescription: String { "\(format.rawValue): \(text)" }
  }

  static let valid: [Case] = [
    Case(text: "2024-03-01T12:30:00Z", format: .auto, micros: 1_709_296_200_000_000),
    Case(text: "2024-03-01t12:30:00z", format: .iso8601, micros: 1_709_296_200_000_000),
    Case(text: "2024-03-01 12:30:00", format: .auto, micros: 1_709_296_200_000_000),
    Case(text: "2024-03-01T12:30Z", format: .auto, micros: 1_709_296_200_000_000),
    Case(text: "2024-03-01T12:30:00+00:00", format: .auto, micros: 1_709_296_200_000_000),
    Case(text: "2024-02-29", format: .auto, micros: 1_709_164_800_000_000),
    Case(text: "2024-03-01T12:30:00.123456+02:00", format: .auto, micros: 1_709_289_000_123_456),
    Case(text: "2024-03-01T12:30:00.123456789+0200", format: .auto, micros: 1_709_289_000_123_456),
    Case(text: "2024-03-01T12:30:00.1+02", format: .auto, micros: 1_709_289_000_100_000),
    Case(text: "1969-12-31T23:59:59.5Z", format: .auto, micros: -500_000),
    Case(text: "2000-01-01T00:00:00-05:30", format: .auto, micros: 946_704_600_000_000),
    Case(text: "1900-03-01", format: .iso8601, micros: -2_203_891_200_000_000),
    Case(text: "2038-01-19T03:14:08Z", format: .auto, micros: 2_147_483_648_000_000),
    Case(text: " 2024-02-29 ", format: .auto, micros: 1_709_164_800_000_000),
    Case(text: "20240229", format: .auto, micros: 1_709_164_800_000_000),
    Case(text: "19970101", format: .yyyyMMdd, micros: 852_076_800_000_000),
    Case(text: "1709296200", format: .auto, micros: 1_709_296_200_000_000),
    Case(text: "1709296200.25", format: .auto, micros: 1_709_296_200_250_000),
    Case(text: "1709296200123", format: .auto, micros: 1_709_296_200_123_000),
    Case(text: "1709296200123", format: .epochMilliseconds, micros: 1_709_296_200_123_000),
    Case(text: "20240229", format: .epochSeconds, micros: 20_240_229_000_000),
    Case(text: "-1", format: .epochSeconds, micros: -1_000_000),
  ]

  @Test(arguments: valid)
  func parsesValid(_ c: Case) throws {
    #expect(try c.format.parse(Array(c.text.utf8)[...]).get() == c.micros)
  }

  static let invalid: [(String, TimestampFormat, String)] = [
    ("", .auto, "timestamp is empty"),
    ("2024-02-30", .auto, "timestamp out of range: day 30 of 2024-02"),
    ("2023-02-29", .auto, "timestamp out of range: day 29 of 2023-02"),
    ("2024-13-01", .auto, "timestamp out of range: month 13"),
    ("2024-03-01T24:00:00Z", .auto, "timestamp out of range: time of day 24:0:0"),
    ("2024-03-01T12:30:00+25:00", .auto, "timestamp out of range: UTC offset 25:0"),
    ("2024-3-1", .auto, "malformed timestamp: expected YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH:MM]]"),
    ("2024-03-01T12", .auto, "malformed timestamp: expected YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH:MM]]"),
    ("2024-03-01T12:30:00.Z", .auto, "malformed timestamp: expected YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH:MM]]"),
    ("yesterday", .auto, TimestampError.unrecognised.description),
    ("123", .auto, TimestampError.unrecognised.description),
    ("2024022", .yyyyMMdd, "malformed timestamp: expected yyyyMMdd"),
    ("17092962OO", .epochSeconds, "malformed timestamp: expected epoch seconds"),
    ("20240229", .iso8601, "malformed timestamp: expected YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH:MM]]"),
  ]

  @Test(arguments: invalid)
  func rejectsInvalidWithReason(_ text: String, _ format: TimestampFormat, _ message: String) {
    switch format.parse(Array(text.utf8)[...]) {
    case .success(let v): Issue.record("parsed '\(text)' as \(v)")
    case .failure(let e): #expect(e.description == message)
    }
  }

  /// Day numbers for 20,000 random dates between 1600 and 2400 agree with
  /// Foundation's Gregorian calendar in UTC, and round-trip.
  @Test func civilDatesAgreeWithFoundation() {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    var rng = SplitMix64(seed: 7)
    for _ in 0..<20_000 {
      let year = Int.random(in: 1600...2400, using: &rng)
      let month = Int.random(in: 1...12, using: &rng)
      let day = Int.random(in: 1...CivilDate.daysIn(month: month, year: year), using: &rng)
      let date = calendar.date(from: DateComponents(year: year, month: month, day: day))!
      let expected = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
      let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
      #expect(days == expected, "\(year)-\(month)-\(day)")
      #expect(CivilDate.date(daysSinceEpoch: days) == (year, month, day))
    }
  }

  @Test func formatsBackToISO8601() throws {
    #expect(formatISO8601(1_709_296_200_000_000) == "2024-03-01T12:30:00Z")
    #expect(formatISO8601(-500_000) == "1969-12-31T23:59:59.500000Z")
    #expect(formatDate(1_709_164_800_000_000) == "2024-02-29")
    for micros: Int64 in [0, 1, -1, 946_704_600_000_007, -2_203_891_200_000_000] {
      #expect(try TimestampFormat.iso8601.parse(Array(formatISO8601(micros).utf8)[...]).get() == micros)
    }
  }
}
