import LinearAlgebra
import Testing

@testable import ChurnArtifacts

/// What reasons call typical: the training median, for a "days since the
/// last …" feature among customers who had one; "never" for the never value.
struct TypicalValueTests {
  @Test func typicalIsTheMedianAmongCustomersWhoHadTheEvent() {
    let x = Matrix(rows: 5, columns: 2, columnMajor: [3650, 2, 3650, 10, 4, 0, 0, 1, 5, 0])
    let reference = ChurnModel.Reference(
      x: x, scores: [0.1, 0.2, 0.3, 0.4, 0.5], featureNames: ["days_since_last_login", "count_30d"], neverDays: 3650)
    #expect(reference.typicalValues == [4, 0])  // median of 2, 10, 4; of 0, 0, 1, 5, 0
    let nobody = ChurnModel.Reference(
      x: Matrix(rows: 2, columns: 1, columnMajor: [3650, 3650]), scores: [0.1, 0.2],
      featureNames: ["days_since_last_call"], neverDays: 3650)
    #expect(nobody.typicalValues == [3650])
    #expect(FeaturePhrases.format(3650, never: 3650) == "never")
    #expect(FeaturePhrases.format(12.25, never: 3650) == "12.3")
    #expect(FeaturePhrases.isNeverable("days_since_last_login") && !FeaturePhrases.isNeverable("days_since_last_event"))
  }
}
