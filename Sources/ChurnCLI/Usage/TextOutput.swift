import ByteStreams

/// Where a command's text result goes: standard output for "-", else the
/// file, written to a temporary file and renamed so that it is never left
/// half-written.
enum TextOutput {
  static func write(_ text: String, to path: String, console: Console) throws {
    let output = PendingOutputs(console: console)
    try output.add(text, to: path)
    try output.commit()
  }
}

/// A command's several outputs, each written in full to its temporary file
/// first and all renamed into place by `commit()`: when the second cannot
/// be written (a bad path, a full disk), the first is not replaced either —
/// the temporaries go when the writers do. Standard output ("-") gets its
/// text at `commit()` too.
final class PendingOutputs {
  private let console: Console
  private var writers: [AtomicFileWriter] = []
  private var standardOutput: [String] = []

  init(console: Console) { self.console = console }

  /// Writes `text` to `path`'s temporary file (or keeps it for standard output).
  func add(_ text: String, to path: String) throws {
    if path == "-" {
      standardOutput.append(text)
      return
    }
    let writer = try AtomicFileWriter(path: path)
    try writer.write(text)
    writers.append(writer)
  }

  /// Writes `bytes` to `path`'s temporary file.
  func add(_ bytes: [UInt8], to path: String) throws {
    try add(to: path) { write in try write(bytes) }
  }

  /// Streams bytes from `produce` into `path`'s temporary file.
  func add(to path: String, _ produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
    let writer = try AtomicFileWriter(path: path)
    try produce { try writer.write($0) }
    writers.append(writer)
  }

  /// Renames every file into place, in the order added, then prints what
  /// goes to standard output.
  func commit() throws {
    for writer in writers { try writer.commit() }
    for text in standardOutput { console.out(text) }
  }
}
