import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// The signal sources, kept alive for the life of the process.
private let terminationSources = Partitioned<[any DispatchSourceSignal]>([[]])

/// On SIGINT, SIGTERM or SIGHUP: runs `cleanup` (on a queue, not in the
/// signal handler, so it may take locks and call anything), then lets the
/// signal take its default action, so the process ends as the signal says
/// (exit status 128 + its number in a shell). Install once, in the
/// executable.
///
/// ```swift
/// onTerminationSignals { AtomicFileWriter.removeTemporaryFiles() }
/// ```
package func onTerminationSignals(_ cleanup: @escaping @Sendable () -> Void) {
  for number in [SIGINT, SIGTERM, SIGHUP] {
    signal(number, SIG_IGN)  // delivered to the source instead
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler {
      cleanup()
      signal(number, SIG_DFL)
      // To the process, not this thread: dispatch's threads block signals.
      kill(getpid(), number)
    }
    source.resume()
    terminationSources.update(0) { $0.append(source) }
  }
}
