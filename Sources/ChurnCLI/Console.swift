import ChurnIO
import Foundation
import Synchronization

/// Where a command's text goes. Data goes to `out`, messages and progress to
/// `err`; tests pass capturing sinks to run commands in-process.
public final class Console: Sendable {
  private let writeOut: @Sendable (String) -> Void
  private let writeErr: @Sendable (String) -> Void
  /// Whether standard error is a terminal (progress is shown only then).
  public let errorIsTerminal: Bool

  public init(
    out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
    errorIsTerminal: Bool = false
  ) {
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

  /// Data, byte for byte (a score file on standard output, JSON).
  func out(_ text: String) { writeOut(text) }
  /// A report for people on standard output: control characters from the
  /// data escaped (see `printable`).
  func report(_ text: String) { writeOut(printable(text)) }
  /// A message on standard error, control characters escaped.
  func err(_ text: String) { writeErr(printable(text)) }
  /// Standard error as it is: the progress line's own carriage returns and
  /// erase sequences.
  func errRaw(_ text: String) { writeErr(text) }
}

/// A console that keeps what is written, for tests.
public final class CapturedConsole: Sendable {
  private let texts = Mutex((out: "", err: ""))

  public init() {}

  public var out: String { texts.withLock { $0.out } }
  public var err: String { texts.withLock { $0.err } }

  public var console: Console {
    Console(
      out: { text in self.texts.withLock { $0.out += text } },
      err: { text in self.texts.withLock { $0.err += text } })
  }
}
