import ByteStreams
import ChurnData
import ChurnIO

/// Where an events table begins and ends, as `DataExtent` reads a log:
/// the first and last event, whether every timestamp is a plain date, and
/// so until when the log is complete.
struct EngineExtent {
  let rows: Int
  let first: Int64
  let last: Int64
  /// Until when the log is complete (`DataExtent.observedEnd`).
  let observedEnd: Int64

  init(_ trainer: EngineTrainer, cutoffs: [Cutoff]) throws {
    let query = trainer.featureQuery(trainer.spec, cutoff: cutoffs[0])
    let time = query.eventMicros(query.q("timestamp"))
    let day = FeatureSQL.day
    let values = try EngineDesign.numbers(
      trainer.session,
      """
      SELECT COUNT(*), MIN(t), MAX(t), SUM(CASE WHEN t - \(query.wholeDays("t")) * \(day) <> 0 THEN 1 ELSE 0 END)
      FROM (SELECT \(time) AS t FROM \(query.table(trainer.table))) AS ev
      """)
    rows = Int(values[0] ?? 0)
    guard rows > 0, let first = values[1], let last = values[2] else {
      throw FeatureError.noEvents(path: trainer.shown)
    }
    (self.first, self.last) = (Int64(first), Int64(last))
    let datesOnly = (values[3] ?? 0) == 0
    let lastDayEnd = (self.last / microsPerDay + 1) * microsPerDay - 1
    for c in cutoffs where c.micros < self.first || c.micros > lastDayEnd {
      throw FeatureError.cutoffOutsideData(
        cutoff: c.description, firstEvent: formatISO8601(self.first), lastEvent: formatISO8601(self.last))
    }
    if let given = trainer.observedUntil {
      guard given.micros >= self.last else {
        throw FeatureError.observedBeforeLastEvent(
          observedUntil: given.description, lastEvent: formatISO8601(self.last))
      }
      observedEnd = given.micros
    } else {
      observedEnd = datesOnly ? lastDayEnd : self.last
    }
  }

  /// The latest end-of-day cutoff whose horizon ends by `observedEnd`.
  func latestLabelledCutoff(horizon: Duration) -> Cutoff {
    let t = observedEnd - horizon.micros
    let day = (t + 1 - ((t + 1) % microsPerDay + microsPerDay) % microsPerDay) / microsPerDay
    return Cutoff(micros: day * microsPerDay - 1)
  }

  /// `FeatureSet.observationText`.
  func observationText(horizon: Duration) -> String {
    let ends =
      (observedEnd + 1) % microsPerDay == 0
      ? "\(Cutoff(micros: observedEnd)) (end of day)" : formatISO8601(observedEnd)
    return
      "the data ends \(ends); labels for \(horizon.days)d exist up to cutoff \(latestLabelledCutoff(horizon: horizon))"
  }
}
