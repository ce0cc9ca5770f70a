import CGlibcExtras
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a file so that it appears whole or not at all: bytes go to a
/// temporary file beside the target, which `commit()` renames into place.
/// A writer dropped without `commit()` removes its temporary file. The
/// temporary file has a random name, is created exclusively and never
/// through a symbolic link, and a replaced file keeps its permissions.
///
/// The path `-` writes straight to standard output, and so does a path that
/// names a device or a pipe (`/dev/null`, `/dev/stdout`, a FIFO): renaming a
/// file over it would replace the device itself.
///
/// ```swift
/// let out = try AtomicFileWriter(path: "scores.csv")
/// try out.write(Array("a,b\n".utf8))
/// try out.commit()
/// ```
public final class AtomicFileWriter {
  /// The final path (`-` for standard output).
  public let path: String
  private let temporaryPath: String?
  private var descriptor: Int32
  private var buffer: [UInt8] = []
  private var committed = false
  private let bufferLimit = 1 << 20
  /// Bytes written to the temporary file, and how many of them the kernel
  /// has been asked to start writing back.
  private var written = 0
  private var writebackStarted = 0
  /// Writeback is started every this many bytes, so that `commit()`'s
  /// `fsync` waits for the last stretch only, not for the whole file.
  private let writebackStride = 8 << 20

  /// Starts writing; nothing is visible at `path` until `commit()`.
  public init(path: String) throws(ByteStreamError) {
    self.path = path
    if path == "-" {
      temporaryPath = nil
      descriptor = 1
      return
    }
    var status = stat()
    if unsafe stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG {
      guard (status.st_mode & S_IFMT) != S_IFDIR else { throw .cannotOpen(path: path, reason: "it is a directory") }
      let fd = unsafe open(path, O_WRONLY | O_CLOEXEC)
      if fd < 0 { throw .cannotOpen(path: path, reason: errnoDescription()) }
      temporaryPath = nil
      descriptor = fd
      return
    }
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    // A new name of our own (O_EXCL: never an existing file; O_NOFOLLOW:
    // never through a link planted there), random so that it cannot be
    // guessed; the replaced file's permissions are kept.
    Self.removeLeftovers(in: directory, of: name)
    let existingMode: mode_t? = unsafe stat(path, &status) == 0 ? status.st_mode & 0o7777 : nil
    var random = SystemRandomNumberGenerator()
    var created: (path: String, fd: Int32)?
    for _ in 0..<16 where created == nil {
      // The writer's pid first, so that the next run can tell a dead
      // writer's leftover from a live one's file.
      let suffix = "\(getpid())-" + String(random.next() as UInt64, radix: 36)
      let temp = "\(directory).\(name).tmp-\(suffix)"
      let fd = unsafe open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, existingMode ?? 0o666)
      if fd >= 0 {
        created = (temp, fd)
      } else if errno != EEXIST {
        throw .cannotOpen(path: path, reason: errnoDescription())
      }
    }
    guard let created else { throw .cannotOpen(path: path, reason: "no free temporary name beside it") }
    if let existingMode { _ = fchmod(created.fd, existingMode) }  // open's mode went through the umask
    temporaryPath = created.path
    descriptor = created.fd
    Self.live.withLock { _ = $0.insert(created.path) }
  }

  /// How long a temporary file must have gone unwritten to be a killed
  /// run's leftover: a live writer streams into its file, or fills and
  /// renames it within moments.
  static let leftoverAge: Int = 600

  /// Removes `.NAME.tmp-*` files beside the target that a run killed with
  /// SIGKILL (which no process can catch) left behind: those whose writer
  /// (the pid in the name) is gone, and those nobody has written to for
  /// `leftoverAge` seconds. Regular files of this user only.
  static func removeLeftovers(in directory: String, of name: String) {
    let prefix = ".\(name).tmp-"
    guard let dir = unsafe opendir(directory.isEmpty ? "." : directory) else { return }
    defer { unsafe closedir(dir) }
    let now = time(nil)
    while let entry = unsafe readdir(dir) {
      let entryName = unsafe withUnsafeBytes(of: entry.pointee.d_name) { raw in
        unsafe String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard entryName.hasPrefix(prefix) else { continue }
      let candidate = directory + entryName
      var status = stat()
      guard unsafe lstat(candidate, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_uid == getuid()
      else { continue }
      let pid = Int32(entryName.dropFirst(prefix.count).prefix { $0 != "-" })
      let writerGone = pid.map { $0 > 0 && $0 != getpid() && kill($0, 0) == -1 && errno == ESRCH } ?? false
      if writerGone || now - status.st_mtim.tv_sec >= leftoverAge { unsafe unlink(candidate) }
    }
  }

  /// The temporary files of writers neither committed nor dropped.
  private static let live = Mutex<Set<String>>([])

  /// Removes every temporary file still being written, and every file
  /// handed to `removeOnSignal`: what the process does on SIGINT or SIGTERM
  /// before it ends, so an interrupted run leaves nothing behind.
  public static func removeTemporaryFiles() {
    live.withLock { paths in
      for path in paths { unsafe unlink(path) }
      for path in paths { unsafe rmdir(path) }  // directories, once emptied
      paths.removeAll()
    }
  }

  /// A finished file (or a directory, removed once empty) of the run's own
  /// that a signal should remove too (a temporary copy); `keep(_:)`
  /// forgets it.
  public static func removeOnSignal(_ path: String) { live.withLock { _ = $0.insert(path) } }
  public static func keep(_ path: String) { live.withLock { _ = $0.remove(path) } }

  deinit {
    if !committed, let temporaryPath {
      close(descriptor)
      unsafe unlink(temporaryPath)
      Self.live.withLock { _ = $0.remove(temporaryPath) }
    } else if temporaryPath == nil && descriptor > 2 {
      close(descriptor)
    }
  }

  /// Appends bytes (buffered; a block of 64 KiB or more goes out as it is,
  /// after what is buffered, without being copied into the buffer).
  public func write(_ bytes: [UInt8]) throws(ByteStreamError) {
    guard bytes.count >= 1 << 16 else {
      buffer.append(contentsOf: bytes)
      if buffer.count >= bufferLimit { try flush() }
      return
    }
    try flush()
    try writeAll(bytes)
  }

  /// Appends the UTF-8 bytes of `text`.
  public func write(_ text: String) throws(ByteStreamError) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= bufferLimit { try flush() }
  }

  /// Writes out what is buffered.
  public func flush() throws(ByteStreamError) {
    try writeAll(buffer)
    buffer.removeAll(keepingCapacity: true)
  }

  private func writeAll(_ bytes: [UInt8]) throws(ByteStreamError) {
    var offset = 0
    while offset < bytes.count {
      let n = unsafe bytes.withUnsafeBytes { raw in
        unsafe Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw .writeFailed(path: path, reason: errnoDescription())
      }
      offset += n
    }
    written += bytes.count
    if temporaryPath != nil && written - writebackStarted >= writebackStride {
      // Only a hint (errors show up at fsync): start writing this stretch
      // to disk now, while the caller produces the next.
      _ = sync_file_range(
        descriptor, off_t(writebackStarted), off_t(written - writebackStarted), CGLIBCEXTRAS_SYNC_FILE_RANGE_WRITE)
      writebackStarted = written
    }
  }

  /// Flushes, syncs and renames the temporary file to the final path.
  public func commit() throws(ByteStreamError) {
    try flush()
    guard let temporaryPath else {
      if descriptor > 2 { close(descriptor) }
      descriptor = -1
      committed = true
      return
    }
    if fsync(descriptor) != 0 || close(descriptor) != 0 {
      throw .writeFailed(path: path, reason: errnoDescription())
    }
    descriptor = -1
    // Forgotten only once renamed (or removed): a signal in between
    // unlinks a name that is already gone, which does no harm.
    defer { Self.live.withLock { _ = $0.remove(temporaryPath) } }
    if unsafe rename(temporaryPath, path) != 0 {
      let reason = errnoDescription()
      unsafe unlink(temporaryPath)
      committed = true
      throw .writeFailed(path: path, reason: reason)
    }
    committed = true
  }
}
