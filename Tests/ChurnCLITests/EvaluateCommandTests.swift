import ChurnArtifacts
import ChurnCLI
import ChurnTestSupport
import Foundation
import Testing

struct EvaluateCommandTests {

  /// Evaluated at its own training cutoff, a model reproduces its training metrics.
  @Test func reproducesTrainingMetricsAtTheTrainingCutoff() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try trainSmallModel(in: dir, seed: 12)
    let result = run([
      "evaluate", "--model", model, "--events", "\(dir.path)/events.csv", "--customers", "\(dir.path)/customers.csv",
      "--cutoff", "2024-08-31", "--json",
    ])
    #expect(result.status == 0, "\(result.err)")
    let evaluation = try JSONDecoder().decode(ModelEvaluation.self, from: Data(result.out.utf8))
    let saved = try ChurnModel.load(path: model)
    #expect(evaluation.metrics == saved.training.metrics)
    #expect(evaluation.calibrationDrift == 0)
    let later = run([
      "evaluate", "--model", model, "--events", "\(dir.path)/events.csv", "--customers", "\(dir.path)/customers.csv",
      "--cutoff", "2024-09-15",
    ])
    #expect(later.status == 0)
    #expect(later.out.hasPrefix("Evaluation: "))
  }

  @Test func missingInputsAreNamed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let model = try trainSmallModel(in: dir, seed: 12)
    // The same events without the amount column.
    let lines = try dir.read("events.csv").split(separator: "\n").map { line -> String in
      var fields = line.split(separator: ",", omittingEmptySubsequences: false)
      fields.remove(at: 4)
      return fields.joined(separator: ",")
    }
    let path = try dir.write("no-amount.csv", lines.joined(separator: "\n") + "\n")
    let result = run([
      "evaluate", "--model", model, "--events", path, "--customers", "\(dir.path)/customers.csv", "--cutoff",
      "2024-08-31",
    ])
    #expect(result.status == 1)
    #expect(
      result.err.hasPrefix("Error: \(path): the model's features use the amount column, which these events do not have")
    )
    let noTable = run(["evaluate", "--model", model, "--events", "\(dir.path)/events.csv", "--cutoff", "2024-08-31"])
    #expect(noTable.status == 1)
    #expect(
      noTable.err.hasPrefix(
        "Error: the model's features use customers-table columns (signup_date, plan, region, acquisition_channel)"))
    let damaged = try dir.write("bad.json", "{}")
    #expect(run(["evaluate", "--model", damaged, "--features", path]).err.contains("is not a ChurnKit model"))
  }
}
