import ByteStreams

/// Where a command's text result goes: standard output for "-", else the
/// file, written to a temporary file and renamed so that it is never left
/// half-written.
enum TextOutput {
  static func write(_ text: String, to path: String, console: Console) throws {
    if path == "-" {
      console.out(text)
    } else {
      let writer = try AtomicFileWriter(path: path)
      try writer.write(text)
      try writer.commit()
    }
  }
}
