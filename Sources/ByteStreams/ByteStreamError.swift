/// Why bytes could not be read or written. Each case names the file.
public enum ByteStreamError: Error, Equatable, CustomStringConvertible {
  case cannotOpen(path: String, reason: String)
  case readFailed(path: String, reason: String)
  case writeFailed(path: String, reason: String)
  case corruptCompressedData(path: String, reason: String)

  /// What went wrong, without the path.
  public var reason: String {
    switch self {
    case .cannotOpen(_, let reason), .readFailed(_, let reason), .writeFailed(_, let reason),
      .corruptCompressedData(_, let reason):
      return reason
    }
  }

  public var description: String {
    switch self {
    case .cannotOpen(let path, let reason): return "cannot open \(path): \(reason)"
    case .readFailed(let path, let reason): return "cannot read \(path): \(reason)"
    case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
    case .corruptCompressedData(let path, let reason): return "\(path) is not valid gzip data: \(reason)"
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// The text of the current `errno`, e.g. "No such file or directory".
func errnoDescription() -> String {
  unsafe String(cString: strerror(errno))
}
