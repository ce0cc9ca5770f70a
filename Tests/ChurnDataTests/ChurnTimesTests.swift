import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

@testable import ChurnData

/// Days to churn after a cutoff, by each definition, on logs small enough
/// to work out by hand.
struct ChurnTimesTests {
  static func times(_ csv: String, definition: ChurnDefinition, horizon: String = "30d") throws -> ChurnTimes {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    var issues = IssueLog()
    return try ChurnTimes(
      path: try directory.write("events.csv", csv), schema: EventSchema(), cutoff: try Cutoff(parsing: "2024-03-31"),
      horizon: try Duration(parsing: horizon), definition: definition, countsAsActivity: { $0 != "email" },
      observedUntil: nil, issues: &issues)
  }

  @Test func silenceIsDatedWhenItReachesTheHorizon() throws {
    let t = try ChurnTimesTests.times(
      """
      customer_id,timestamp,event
      a,2024-03-20,buy
      a,2024-04-10,buy
      a,2024-06-01,buy
      b,2024-03-31,buy
      b,2024-04-29,buy
      b,2024-05-28,buy
      b,2024-06-10,buy
      c,2024-01-01,buy
      d,2024-03-25,buy
      d,2024-05-20,email
      e,2024-04-02,buy
      z,2024-06-30,buy
      """, definition: .inactivity)
    // a: silent from 04-10 past 05-10 (next buy 06-01): churned on 05-10, 40 days after 03-31.
    #expect(t.followUp(of: "a") == .init(days: 40, churned: true))
    // b: gaps of 29, 29 and 13 days, then followed to the end of the data (06-30): censored.
    #expect(t.followUp(of: "b") == .init(days: 91, churned: false))
    // c: silent for the horizon by the cutoff: already churned, not followed.
    #expect(t.followUp(of: "c") == nil)
    // d: an email is no activity: silent from 03-25, churned on 04-24.
    #expect(t.followUp(of: "d") == .init(days: 24, churned: true))
    // e: first seen after the cutoff: not followed.
    #expect(t.followUp(of: "e") == nil)
    #expect(t.observedUntil.description == "2024-06-30")
  }

  @Test func aChurnEventEndsTheFollowUp() throws {
    let t = try ChurnTimesTests.times(
      """
      customer_id,timestamp,event
      a,2024-03-01T10:00:00Z,buy
      a,2024-04-01T12:00:00Z,cancel
      b,2024-03-30T00:00:00Z,buy
      c,2024-02-01T00:00:00Z,cancel
      c,2024-03-01T00:00:00Z,buy
      z,2024-05-01T00:00:00Z,buy
      """, definition: .event("cancel"))
    // Timestamps: fractional days from the end of 03-31 (12:00:00.000001 later).
    let a = try #require(t.followUp(of: "a"))
    #expect(a.churned && abs(a.days - (0.5 + 1e-6 / 86_400)) < 1e-9)
    // b: no cancel; followed to the last event (05-01 00:00), 30 days and a microsecond.
    let b = try #require(t.followUp(of: "b"))
    #expect(!b.churned && abs(b.days - (30 + 1e-6 / 86_400)) < 1e-9)
    // c: cancelled before the cutoff.
    #expect(t.followUp(of: "c") == nil)
  }
}
