import ChurnModels
import LinearAlgebra
import Testing

/// Settings that cannot work are refused before any fitting, each by a
/// typed case that carries the value given.
struct ConfigurationErrorTests {
  let x = Matrix(rows: 4, columns: 1, columnMajor: [0, 1, 2, 3])
  let y: [Double] = [0, 1, 0, 1]

  @Test func estimatorSettingsAreNamedWithTheirValue() {
    #expect(throws: ModelError.configuration(.penalty(name: "L2", value: -1))) {
      try LogisticRegression(l2: -1).fit(x, y, featureNames: ["a"])
    }
    var lasso = LogisticRegression()
    lasso.l1 = .infinity
    #expect(lasso.validate() == [.penalty(name: "L1", value: .infinity)])
    #expect(throws: ModelError.configuration(.iterationLimit(0))) {
      try LogisticRegression(maxIterations: 0).fit(x, y, featureNames: ["a"])
    }
    #expect(
      ModelError.configuration(.penalty(name: "L2", value: -1)).description
        == "the L2 penalty must be a finite number ≥ 0, got -1.0")
  }

  @Test func crossValidationNeedsTwoFolds() {
    #expect(throws: ModelError.configuration(.tooFewFolds(1))) {
      try CrossValidation(folds: 1).path(
        x: x, y: y, keys: ["a", "b", "c", "d"], featureNames: ["a"], estimator: LogisticRegression())
    }
    #expect(ConfigurationError.tooFewFolds(1).description == "cross-validation needs at least 2 folds, got 1")
  }
}
