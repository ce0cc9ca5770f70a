import ChurnCLI
import ChurnSimulation
import ChurnTestSupport
import Testing

/// Generates a small lifecycle dataset in `dir` and trains a model on it
/// through the CLI (cutoff 2024-08-31, 60-day horizon, churn = cancel).
func trainSmallModel(in dir: TemporaryDirectory, seed: UInt64) throws -> String {
  _ = try LifecycleGenerator(customers: 800, seed: seed, days: 330).write(to: dir.path)
  let model = "\(dir.path)/model.json"
  let result = run([
    "train", "--events", "\(dir.path)/events.csv", "--customers", "\(dir.path)/customers.csv",
    "--cutoff", "2024-08-31", "--horizon", "60d", "--churn-definition", "event:cancel", "--l2", "1", "--out", model,
  ])
  #expect(result.status == 0, "\(result.err)")
  return model
}
