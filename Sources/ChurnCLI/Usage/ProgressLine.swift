import Foundation
import Synchronization

/// A one-line progress display on standard error, shown only when standard
/// error is a terminal, redrawn at most five times a second.
final class ProgressLine: Sendable {
  private let console: Console
  private let label: String
  /// When the line was last drawn, and whether it ever was.
  private let state = Mutex((lastDraw: Date.distantPast, drawn: false))

  init(_ label: String, console: Console) {
    self.label = label
    self.console = console
  }

  /// A callback for library code that reports a count.
  var callback: (@Sendable (Int) -> Void)? {
    guard console.errorIsTerminal else { return nil }
    return { [self] count in self.update(count) }
  }

  func update(_ count: Int) {
    state.withLock { state in
      let now = Date()
      guard now.timeIntervalSince(state.lastDraw) >= 0.2 else { return }
      state = (now, true)
      console.errRaw("\r\(label): \(count.formatted()) rows\u{1B}[K")
    }
  }

  /// A callback for library code that names the phase it starts.
  var phaseCallback: (@Sendable (String) -> Void)? {
    guard console.errorIsTerminal else { return nil }
    return { [self] text in self.phase(text) }
  }

  /// Shows `text` in place of the line (at once: phases are few).
  func phase(_ text: String) {
    state.withLock { state in
      state.drawn = true
      console.errRaw("\r\(text)…\u{1B}[K")
    }
  }

  /// Clears the line.
  func finish() {
    state.withLock { state in
      if state.drawn { console.errRaw("\r\u{1B}[K") }
    }
  }
}
