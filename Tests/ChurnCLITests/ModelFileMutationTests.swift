import ChurnArtifacts
import ChurnCLI
import ChurnTestSupport
import Foundation
import Testing

/// A model file edited and re-checksummed (any tool can do both) must give
/// a clean error or a result, never a trap: every field of the shipped model
/// (with its hazard-learner actions) is changed in several ways, the file
/// resealed, and `score` and `export` run on it in this process — a trap
/// would end the test run. (`CHURNKIT_EVERY_CHANGE=1 swift test --filter
/// ModelFileMutation` tries all nine changes on every field: 1,000-odd files.)
struct ModelFileMutationTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// One change to the JSON tree at a key path.
  enum Change: CaseIterable {
    case notANumber, negative, huge, zero, emptyText, dropLast, duplicateLast, empty, remove
  }

  @Test func editedModelsFailCleanlyOrWork() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let shipped = Self.root.appendingPathComponent("models/churn-model.json").path
    let lines = try String(
      contentsOfFile: Self.root.appendingPathComponent("training-data/events.csv").path, encoding: .utf8
    )
    .split(separator: "\n", omittingEmptySubsequences: false).prefix(1500)
    let events = try dir.write("events.csv", lines.joined(separator: "\n") + "\n")
    // Only the customers of those events (a smaller table to read each time).
    let ids = Set(lines.dropFirst().map { $0.prefix { $0 != "," } })
    let table = try String(
      contentsOfFile: Self.root.appendingPathComponent("training-data/customers.csv").path, encoding: .utf8
    )
    .split(separator: "\n")
    let customers = try dir.write(
      "customers.csv",
      ([table[0]] + table.dropFirst().filter { ids.contains($0.prefix { $0 != "," }) }).joined(separator: "\n") + "\n")
    let tree = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: shipped)))
    var paths: [[PathStep]] = []
    Self.distinctPaths(tree, at: [], into: &paths)
    #expect(paths.count > 100)
    var tried = 0, refused = 0, worked = 0
    // Every field gets one change (rotating through those that apply);
    // CHURNKIT_EVERY_CHANGE=1 tries every change on every field.
    let everyChange = ProcessInfo.processInfo.environment["CHURNKIT_EVERY_CHANGE"] == "1"
    for (k, path) in paths.enumerated() {
      let leaf = Self.node(at: path, in: tree)
      let isKey: Bool = {
        if case .key = path.last { return true }
        return false
      }()
      let applicable = Change.allCases.filter { change in
        change == .remove ? isKey : leaf.map { Self.replace($0, by: change) != nil } ?? false
      }
      let changes = everyChange || applicable.isEmpty ? applicable : [applicable[k % applicable.count]]
      for change in changes {
        guard let mutated = Self.apply(change, at: path, to: tree),
          let text = try? JSONSerialization.data(withJSONObject: mutated),
          let sealed = try? ChurnModel.resealed(text)
        else { continue }  // not decodable: the loader's "damaged" path, tested elsewhere
        tried += 1
        let model = try dir.write("m.json", String(decoding: sealed, as: UTF8.self))
        // Refused on loading: a located error, nothing else to run.
        do { _ = try ChurnModel.load(path: model) } catch {
          #expect(error is ModelFileError, "\(path) \(change): \(error)")
          refused += 1
          continue
        }
        // Exports do not read the uplift part or the training record.
        let exported = !"\(path)".hasPrefix("[.model, .uplift") && !"\(path)".hasPrefix("[.model, .training")
        let runs =
          [
            [
              "score", "--model", model, "--events", events, "--customers", customers, "--as-of", "2024-02-03", "--out",
              "-",
            ]
          ]
          + (exported
            ? [
              ["export", "--model", model, "--format", "sql", "--out", "-"],
              ["export", "--model", model, "--format", "pmml", "--out", "-"],
            ] : [])
        for arguments in runs {
          let result = run(arguments)
          #expect(result.status == 0 || result.err.hasPrefix("Error: "), "\(path) \(change): \(result.err)")
          if result.status == 0 { worked += 1 }
        }
      }
    }
    #expect(tried > 150 && refused > 30 && worked > 100, "\(tried) \(refused) \(worked)")
    print("model file mutations: \(tried) tried, \(refused) refused on loading, \(worked) runs worked")
  }

  enum PathStep: CustomStringConvertible {
    case key(String), index(Int)
    var description: String {
      switch self {
      case .key(let k): return "." + k
      case .index(let i): return "[\(i)]"
      }
    }
  }

  /// One concrete path per distinct field (array positions collapsed: the
  /// first and last element stand for the rest).
  static func distinctPaths(_ node: Any, at path: [PathStep], into paths: inout [[PathStep]], seen: inout Set<String>) {
    let shape = path.map { step -> String in
      if case .key(let k) = step { return k }
      return "[]"
    }.joined(separator: "/")
    if seen.insert(shape).inserted { paths.append(path) }
    if let object = node as? [String: Any] {
      for key in object.keys.sorted() { distinctPaths(object[key]!, at: path + [.key(key)], into: &paths, seen: &seen) }
    } else if let array = node as? [Any], !array.isEmpty {
      distinctPaths(array[0], at: path + [.index(0)], into: &paths, seen: &seen)
    }
  }

  static func distinctPaths(_ node: Any, at path: [PathStep], into paths: inout [[PathStep]]) {
    var seen: Set<String> = []
    distinctPaths(node, at: path, into: &paths, seen: &seen)
  }

  /// The node at `path`.
  static func node(at path: [PathStep], in tree: Any) -> Any? {
    var node: Any = tree
    for step in path {
      switch step {
      case .key(let k):
        guard let next = (node as? [String: Any])?[k] else { return nil }
        node = next
      case .index(let i):
        guard let array = node as? [Any], i < array.count else { return nil }
        node = array[i]
      }
    }
    return node
  }

  /// The tree with `change` made at `path`, or nil when it does not apply.
  static func apply(_ change: Change, at path: [PathStep], to node: Any) -> Any? {
    guard let step = path.first else { return replace(node, by: change) }
    let rest = Array(path.dropFirst())
    switch step {
    case .key(let k):
      guard var object = node as? [String: Any], let child = object[k] else { return nil }
      if rest.isEmpty, change == .remove {
        object[k] = nil
        return object
      }
      guard let changed = apply(change, at: rest, to: child) else { return nil }
      object[k] = changed
      return object
    case .index(let i):
      guard var array = node as? [Any], i < array.count, let changed = apply(change, at: rest, to: array[i]) else {
        return nil
      }
      array[i] = changed
      return array
    }
  }

  static func replace(_ node: Any, by change: Change) -> Any? {
    if let array = node as? [Any] {
      switch change {
      case .dropLast: return array.isEmpty ? nil : Array(array.dropLast())
      case .duplicateLast: return array.last.map { array + [$0] }
      case .empty: return array.isEmpty ? nil : [Any]()
      default: return nil
      }
    }
    if node is NSNumber {
      switch change {
      case .notANumber: return "nan"
      case .negative: return -1
      case .huge: return 1e300
      case .zero: return 0
      default: return nil
      }
    }
    if node is String {
      switch change {
      case .emptyText: return ""
      case .notANumber: return "nan"
      default: return nil
      }
    }
    return nil
  }
}
