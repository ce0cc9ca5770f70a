import CZlib

#if canImport(Glibc)
  import Glibc
#endif

/// Reads a file (or standard input, named `-`) as raw bytes in chunks, and
/// transparently inflates gzip data, recognised by its magic bytes rather than
/// its file name. `sqlite:PATH?table=NAME` reads a SQLite table as CSV text
/// (`SQLiteTableSource`), `postgres://…?table=NAME` a PostgreSQL one
/// (`PostgresTableSource`).
///
/// Memory stays bounded by the chunk size the caller passes, so files larger
/// than memory can be streamed.
///
/// ```swift
/// let reader = try ByteReader(path: "events.csv.gz")
/// var buffer = [UInt8](repeating: 0, count: 1 << 20)
/// while case let n = try reader.read(into: &buffer, from: 0), n > 0 { … }
/// ```
public final class ByteReader {
  /// The path as given (`-` for standard input), for error messages.
  public let path: String
  private let descriptor: Int32
  private let ownsDescriptor: Bool
  private var inflater: GzipInflater?
  private var pending: [UInt8] = []  // bytes read while sniffing the magic
  private var pendingOffset = 0
  private var table: SQLiteTableSource?
  private var postgres: PostgresTableSource?

  /// Opens `path`, or standard input when `path` is `-`, or a SQLite table.
  public init(path: String) throws(ByteStreamError) {
    self.path = path
    if let location = try SQLiteLocation(path) {
      table = try SQLiteTableSource(location, shownAs: path)
      descriptor = -1
      ownsDescriptor = false
      return
    }
    if let location = try PostgresLocation(path) {
      postgres = try PostgresTableSource(location)
      descriptor = -1
      ownsDescriptor = false
      return
    }
    if path == "-" {
      descriptor = 0
      ownsDescriptor = false
    } else {
      let fd = unsafe open(path, O_RDONLY | O_CLOEXEC)
      if fd < 0 { throw .cannotOpen(path: path, reason: errnoDescription()) }
      var info = stat()
      if unsafe fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
        close(fd)
        throw .cannotOpen(path: path, reason: "it is a directory")
      }
      descriptor = fd
      ownsDescriptor = true
    }
    try sniffCompression()
  }

  deinit {
    if ownsDescriptor { close(descriptor) }
  }

  /// The whole data (decompressed), for the small files read at once —
  /// JSON settings and models — refused past `limit` bytes.
  public static func contents(of path: String, limit: Int = 1 << 30) throws(ByteStreamError) -> [UInt8] {
    let reader = try ByteReader(path: path)
    var bytes = [UInt8](repeating: 0, count: 1 << 16)
    var filled = 0
    while true {
      if filled == bytes.count {
        guard bytes.count < limit else {
          throw .readFailed(
            path: path, reason: "larger than \(limit >> 20) MiB, too large for a settings or model file")
        }
        bytes.append(contentsOf: repeatElement(0, count: bytes.count))
      }
      let n = try reader.read(into: &bytes, from: filled)
      if n == 0 { break }
      filled += n
    }
    bytes.removeSubrange(filled...)
    return bytes
  }

  /// Whether the data is gzip-compressed.
  public var isCompressed: Bool { inflater != nil }

  /// Fills `buffer[start...]` with the next bytes, returning how many were
  /// written; 0 means the end of the data.
  public func read(into buffer: inout [UInt8], from start: Int) throws(ByteStreamError) -> Int {
    precondition(start >= 0 && start <= buffer.count, "read: start outside the buffer")
    if start == buffer.count { return 0 }
    if let inflater {
      return try inflater.inflate(into: &buffer, from: start) { (chunk: inout [UInt8]) throws(ByteStreamError) in
        try self.readRaw(into: &chunk, from: 0)
      }
    }
    return try readRaw(into: &buffer, from: start)
  }

  /// Bytes as stored in the file, after any sniffed prefix.
  private func readRaw(into buffer: inout [UInt8], from start: Int) throws(ByteStreamError) -> Int {
    if let table { return try table.read(into: &buffer, from: start) }
    if let postgres { return try postgres.read(into: &buffer, from: start) }
    if pendingOffset < pending.count {
      let n = min(pending.count - pendingOffset, buffer.count - start)
      buffer.replaceSubrange(start..<(start + n), with: pending[pendingOffset..<(pendingOffset + n)])
      pendingOffset += n
      return n
    }
    while true {
      let n = unsafe buffer.withUnsafeMutableBytes { raw in
        unsafe Glibc.read(descriptor, raw.baseAddress! + start, raw.count - start)
      }
      if n >= 0 { return n }
      if errno == EINTR { continue }
      throw .readFailed(path: path, reason: errnoDescription())
    }
  }

  /// Reads the first bytes and keeps them, switching to inflation when they
  /// are the gzip magic 1F 8B.
  private func sniffCompression() throws(ByteStreamError) {
    var head = [UInt8](repeating: 0, count: 2)
    var got = 0
    while got < 2 {
      let n = try readRaw(into: &head, from: got)
      if n == 0 { break }
      got += n
    }
    pending = Array(head[0..<got])
    pendingOffset = 0
    if got == 2 && head[0] == 0x1F && head[1] == 0x8B {
      inflater = try GzipInflater(path: path)
    }
  }
}
