import ByteStreams
import ChurnData
import ChurnIO

/// Strings as UTF-8 bytes stored end to end in one array, for output that
/// repeats them row after row (a score file's feature names and phrases):
/// appending one borrows the array instead of retaining an array per string.
///
/// ```swift
/// let names = ByteTable(["count_30d", "plan"])
/// var out: [UInt8] = []
/// names.append(1, to: &out)  // out == Array("plan".utf8)
/// ```
struct ByteTable: Sendable {
  private var bytes: [UInt8] = []
  private var ends: [Int] = []

  init(_ strings: [String]) {
    for s in strings {
      bytes.append(contentsOf: s.utf8)
      ends.append(bytes.count)
    }
  }

  /// Appends string `i` to `out`.
  @inline(__always)
  func append<Sink: ByteSink & ~Copyable>(_ i: Int, to out: inout Sink) {
    out.append((i == 0 ? 0 : ends[i - 1])..<ends[i], of: bytes.span)
  }

  /// A copy in storage of its own, for another thread (see `Array.unshared`).
  var unshared: ByteTable {
    var copy = self
    copy.bytes = bytes.unshared
    copy.ends = ends.unshared
    return copy
  }
}
