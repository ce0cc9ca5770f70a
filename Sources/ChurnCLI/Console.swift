import Foundation

/// Where a command's text goes. Data goes to `out`, messages and progress to
/// `err`; tests pass capturing sinks to run commands in-process.
public final class Console: @unchecked Sendable {
  private let writeOut: (String) -> Void
  private let writeErr: (String) -> Void
  /// Whether standard error is a terminal (progress is shown only then).
  public let errorIsTerminal: Bool

  public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void, errorIsTerminal: Bool = false) {
    writeOut = out
    writeErr = err
    self.errorIsTerminal = errorIsTerminal
  }

  /// The process's standard output and standard error.
  public static func standard() -> Console {
    Console(
      out: { FileHandle.standardOutput.write(Data($0.utf8)) },
      err: { FileHandle.standardError.write(Data($0.utf8)) },
      errorIsTerminal: isatty(2) == 1)
  }

  func out(_ text: String) { writeOut(text) }
  func err(_ text: String) { writeErr(text) }
}

/// A console that keeps what is written, for tests.
public final class CapturedConsole: @unchecked Sendable {
  public private(set) var out = ""
  public private(set) var err = ""
  private let lock = NSLock()

  public init() {}

  public var console: Console {
    Console(
      out: { text in self.lock.withLock { self.out += text } },
      err: { text in self.lock.withLock { self.err += text } })
  }
}
