import ChurnIO
import ChurnModels
import ChurnTestSupport
import LinearAlgebra
import Testing

struct CrossValidationTests {
  @Test func foldsKeepCustomersWholeAndAreStratified() {
    var keys: [String] = []
    var labels: [Double] = []
    var rng = SplitMix64(seed: 2)
    for c in 0..<500 {
      let churner = c % 10 == 0
      for _ in 0..<(1 + Int(rng.next() % 3)) {
        keys.append("c\(c)")
        labels.append(churner && rng.nextUniform() < 0.7 ? 1 : 0)
      }
    }
    let cv = CrossValidation(folds: 5, seed: 9)
    let folds = cv.assignFolds(keys: keys, labels: labels)
    #expect(folds == cv.assignFolds(keys: keys, labels: labels))
    var foldOfCustomer: [String: Int] = [:]
    for (k, f) in zip(keys, folds) {
      #expect(foldOfCustomer[k, default: f] == f, "customer \(k) split across folds")
      foldOfCustomer[k] = f
    }
    // Customers with a churned row are spread evenly: counts differ by at most one.
    var churners = [Int](repeating: 0, count: 5)
    var all = [Int](repeating: 0, count: 5)
    for (k, f) in foldOfCustomer {
      all[f] += 1
      if zip(keys, labels).contains(where: { $0.0 == k && $0.1 == 1 }) { churners[f] += 1 }
    }
    #expect(churners.max()! - churners.min()! <= 1)
    #expect(all.max()! - all.min()! <= 2)
  }

  @Test func pathCoversTheGridAndPicksTheLowestLoss() throws {
    var rng = SplitMix64(seed: 4)
    let n = 600
    var x = Matrix(rows: n, columns: 3)
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for j in 0..<3 { x[i, j] = Double.random(in: -1..<1, using: &rng) }
      y[i] = rng.nextUniform() < 1 / (1 + exp(-(x[i, 0] - 0.5 * x[i, 1]))) ? 1 : 0
    }
    var cv = CrossValidation(folds: 4, seed: 1)
    cv.grid = [0.01, 1, 100, 10_000]
    let (best, path) = try cv.path(
      x: x, y: y, keys: (0..<n).map { "r\($0)" }, featureNames: ["a", "b", "c"], estimator: LogisticRegression())
    #expect(path.map(\.l2) == cv.grid)
    #expect(path.allSatisfy { $0.failedFolds == 0 && $0.meanLogLoss > 0 })
    #expect(best == path.min { $0.meanLogLoss < $1.meanLogLoss }!.l2)
    // A huge penalty flattens the model: its held-out loss is the worst.
    #expect(path.last!.meanLogLoss == path.map(\.meanLogLoss).max())
  }
}

#if canImport(Glibc)
  import Glibc
#endif
