@_spi(Fuzzing) import ChurnArtifacts
import ChurnData
import ChurnModels
import Foundation

/// Any bytes as a model file — a churn model or a survival model: it is
/// refused with a message, or it passed the whole-file check and every
/// export (a churn model) or prediction (a survival model) of it works;
/// nothing may trap.
/// (The checksum is not required here, so the fuzzer reaches the check
/// behind it, as an editing tool that reseals the file would.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Data(bytes: data, count: size)
  if let survival = try? SurvivalModel.loadIgnoringChecksum(data: bytes, path: "survival.json") {
    let fit = survival.fit
    for days in [0, 1, fit.longestFollowUp / 2, fit.longestFollowUp, fit.longestFollowUp + 1] {
      _ = fit.survival(at: days, for: fit.means)
    }
    _ = fit.restrictedMeanDays(for: fit.means)
    _ = fit.summaryTable()
    return 0
  }
  guard let model = try? ChurnModel.loadIgnoringChecksum(data: bytes, path: "model.json") else { return 0 }
  _ = ModelExport.csv(model)
  _ = try? ModelExport.json(model)
  for dialect in ModelExport.Dialect.allCases { _ = ModelExport.sql(model, dialect: dialect) }
  _ = ModelExport.pmml(model)
  _ = try? FeatureSQL.features(model, cutoff: try! Cutoff(parsing: "2025-06-30"), dialect: .sqlite)
  return 0
}
