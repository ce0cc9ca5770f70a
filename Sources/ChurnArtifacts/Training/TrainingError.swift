import ChurnData
import ChurnIO

/// Why a churn model cannot be trained on the rows the options give.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The extractor has no cutoff to train at.
  case noCutoff
  /// A holdout cutoff at or before the (last) training cutoff.
  case holdoutNotAfterTraining(holdout: Cutoff, training: Cutoff)
  /// Every training label is alike.
  case oneLabelClass(LabelCounts)
  /// Survival curves grouped by a column the table does not have.
  case unknownGroupColumn(String, available: [String])
  /// Survival curves grouped by a column with too many values.
  case tooManyGroups(String, count: Int, limit: Int)
  /// No customer churned after the cutoff within the data.
  case noChurnInFollowUp(customers: Int, observedUntil: String)

  /// The labels at the training cutoffs and where the data ends: what a
  /// message needs to say why one class is missing and what to change.
  public struct LabelCounts: Equatable, Sendable {
    public var churned: Int
    public var retained: Int
    /// Rows whose horizon runs past the data.
    public var censored: Int
    public var cutoffs: [Cutoff]
    /// `FeatureSet.observationText`.
    public var observation: String
    public var latestLabelledCutoff: Cutoff
    public var observedUntil: Cutoff
    public var horizonDays: Int
    public var churnDefinition: String
  }

  public var description: String {
    switch self {
    case .noCutoff: return "training needs a cutoff"
    case .holdoutNotAfterTraining(let holdout, let training):
      return "the holdout cutoff \(holdout) must be after the training cutoff \(training)"
    case .oneLabelClass(let counts): return counts.description
    case .unknownGroupColumn(let name, let available):
      return
        "no covariate '\(name)' to group by, nor a one-hot family '\(name)_…'; the covariates are: \(available.joined(separator: ", "))"
    case .tooManyGroups(let name, let count, let limit):
      return "'\(name)' has \(count) distinct values; grouping takes at most \(limit) (bin the column first)"
    case .noChurnInFollowUp(let customers, let until):
      return
        "none of the \(customers) customers followed churned after the cutoff by \(until): choose an earlier cutoff, or check --churn-definition and --horizon"
    }
  }
}

extension TrainingError.LabelCounts: CustomStringConvertible {
  public var description: String {
    var text = "the training labels cannot fit a churn model: \(churned) churned, \(retained) retained"
    if censored > 0 { text += ", \(censored) not yet observable" }
    text += " at cutoff\(cutoffs.count > 1 ? "s" : "") \(cutoffs.map(\.description).joined(separator: ", ")). "
    text += observation.prefix(1).uppercased() + observation.dropFirst() + "."
    return text + remedy
  }

  /// What to change: a cutoff or horizon the data covers, or the churn
  /// definition or horizon when nobody or everybody churned.
  private var remedy: String {
    if censored > 0 {
      let endOfDay = (observedUntil.micros + 1) % microsPerDay == 0
      let until = formatDate(observedUntil.micros)
      return " Train at a cutoff up to \(latestLabelledCutoff) or with a shorter --horizon"
        + (endOfDay ? "." : ", or, if the log is complete to the end of \(until), pass --observed-until \(until).")
    } else if churned == 0 {
      return
        " Nobody churned within \(horizonDays)d: check --churn-definition (\(churnDefinition)) or lengthen --horizon."
    } else {
      return
        " Everybody churned within \(horizonDays)d: check --churn-definition (\(churnDefinition)) or shorten --horizon."
    }
  }
}
