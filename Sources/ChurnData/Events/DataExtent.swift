import ChurnIO

/// The first and last event time of a log and whether every timestamp is a
/// plain date: what decides where the data ends when nobody says.
package struct DataExtent: Sendable {
  private(set) var first = Int64.max
  package private(set) var last = Int64.min
  /// Every timestamp seen so far is at midnight (the log has dates only).
  private(set) var datesOnly = true

  package init() {}

  package var isEmpty: Bool { last < first }

  /// The end of the last event's day (its last microsecond).
  var lastDayEnd: Int64 { (last / microsPerDay + 1) * microsPerDay - 1 }

  package mutating func add(_ t: Int64) {
    if t < first { first = t }
    if t > last { last = t }
    if t % microsPerDay != 0 { datesOnly = false }
  }

  /// Until when the log is complete: `given` when it is not before the last
  /// event (nil otherwise), else the end of the last day for a date-only log
  /// (an event dated 1998-06-30 happened some time that day), else the last
  /// event.
  package func observedEnd(given: Int64?) -> Int64? {
    guard let given else { return datesOnly ? lastDayEnd : last }
    return given >= last ? given : nil
  }
}
